import { describe, expect, it } from "vitest";
import { sessionEntries } from "@/lib/agents/resolve";

describe("a session's synthetic tool pack", () => {
  it("merges the agent's packs and the connected servers, one entry per connector or server, \"*\" winning", () => {
    const entries = sessionEntries(
      [
        { entries: [{ connector: "github", tools: ["github_list_repositories"] }, { server: "alpha", tools: ["ping"] }] },
        { entries: [{ connector: "github", tools: ["github_get_authenticated_user", "github_list_repositories"] }, { connector: "slack", tools: "*" }] },
      ],
      ["alpha", "beta"],
    );
    expect(entries).toEqual([
      { connector: "github", tools: ["github_list_repositories", "github_get_authenticated_user"] },
      { server: "alpha", tools: "*" },
      { connector: "slack", tools: "*" },
      { server: "beta", tools: "*" },
    ]);
  });

  it("does not alter the packs it reads (they are cached rows)", () => {
    const pack = { entries: [{ connector: "github", tools: ["a"] }] as { connector: string; tools: string[] }[] };
    sessionEntries([pack, { entries: [{ connector: "github", tools: ["b"] }] }], []);
    expect(pack.entries[0]!.tools).toEqual(["a"]);
  });

  it("with no packs and nothing connected, serves nothing", () => {
    expect(sessionEntries([], [])).toEqual([]);
  });
});
