import { SandboxRouter, bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

/*
 * Linear's GraphQL API (https://linear.app/developers/graphql): one endpoint, POST /graphql with
 * `{ query, variables, operationName }`. This backend is a small GraphQL server over a slice of
 * Linear's published schema (github.com/linear/linear, packages/sdk/src/schema.graphql): it parses
 * the document, picks the operation by `operationName`, validates it against the schema (unknown
 * fields and arguments, leaf/object selections, variable types), coerces variables the way
 * graphql-js does, and answers exactly the fields the query selects — so a client that asks for a
 * field Linear does not have fails here as it would there.
 *
 * Error shapes follow what Linear sends:
 * - credential missing or rejected: HTTP 401, `extensions.type` "authentication error";
 * - syntax, validation and variable-coercion failures: HTTP 400 with no `data`;
 * - resolver failures ("Entity not found: Issue", "Argument Validation Error"): HTTP 200 with
 *   `data: null` and `extensions.type` "invalid input" / code INPUT_ERROR. (Third-party captures
 *   disagree on whether Linear answers these with 200 or 400; the body shape is the same.)
 * Connections paginate Relay-style (`first`/`after`, `last`/`before`, default 50, max 250); the
 * cursor is the node id and the default order is newest `createdAt` first. Filters that Linear
 * accepts but this sandbox does not evaluate are refused with an INPUT_ERROR naming the field,
 * never silently ignored.
 */

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

type Loc = { line: number; column: number };
type Path = (string | number)[];
type ErrorBody = { message: string; path?: Path; locations?: Loc[]; extensions: Record<string, unknown> };

class GqlError extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown>,
    readonly locations?: Loc[],
  ) {
    super(message);
  }
  body(path?: Path, loc?: Loc): ErrorBody {
    const locations = this.locations ?? (loc ? [loc] : undefined);
    return { message: this.message, ...(path ? { path } : {}), ...(locations ? { locations } : {}), extensions: this.extensions };
  }
}

const graphqlError = (message: string, code: string, loc?: Loc) => new GqlError(message, { type: "graphql error", code, userError: true }, loc ? [loc] : undefined);
const inputError = (userPresentableMessage: string, message = "Argument Validation Error") =>
  new GqlError(message, { type: "invalid input", code: "INPUT_ERROR", statusCode: 400, userError: true, userPresentableMessage });
const entityNotFound = (entity: string) =>
  new GqlError(`Entity not found: ${entity}`, { type: "invalid input", code: "INPUT_ERROR", statusCode: 400, userError: true, userPresentableMessage: `Could not find referenced ${entity}.` });
const found = <T>(value: T | null | undefined, entity: string): T => {
  if (value === null || value === undefined) throw entityNotFound(entity);
  return value;
};
const unsupported = (what: string) => inputError(`The Linear sandbox does not support ${what}.`, `Unsupported by the sandbox: ${what}`);

const AUTH_ERROR = {
  errors: [
    {
      message: "Authentication required, not authenticated",
      extensions: {
        type: "authentication error",
        code: "AUTHENTICATION_ERROR",
        statusCode: 401,
        userError: true,
        userPresentableMessage: "You need to authenticate to access this operation.",
      },
    },
  ],
};

/** graphql-js's `inspect`, used in its variable-coercion messages. */
function inspect(v: unknown, depth = 0): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    if (depth >= 2) return "[Array]";
    return `[${v.map((x) => inspect(x, depth + 1)).join(", ")}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (!entries.length) return "{}";
  if (depth >= 2) return "[Object]";
  return `{ ${entries.map(([k, x]) => `${k}: ${inspect(x, depth + 1)}`).join(", ")} }`;
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser (executable documents: operations, fragments, variables, @skip/@include)
// ---------------------------------------------------------------------------------------------

type Tok = { kind: "punct" | "name" | "int" | "float" | "string" | "eof"; value: string; line: number; column: number };

const NAME_RE = /[_A-Za-z][_0-9A-Za-z]*/y;
const NUM_RE = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (msg: string): never => {
    throw graphqlError(`Syntax Error: ${msg}`, "GRAPHQL_PARSE_FAILED", { line, column: i - lineStart + 1 });
  };
  const push = (kind: Tok["kind"], value: string, start: number) => toks.push({ kind, value, line, column: start - lineStart + 1 });
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n" || c === "\r") {
      i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "," || c === "\ufeff") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n" && src[i] !== "\r") i++;
      continue;
    }
    if (src.startsWith("...", i)) {
      push("punct", "...", i);
      i += 3;
      continue;
    }
    if ("!$&()[]{}:=@|".includes(c)) {
      push("punct", c, i);
      i++;
      continue;
    }
    NAME_RE.lastIndex = i;
    const name = NAME_RE.exec(src);
    if (name) {
      push("name", name[0], i);
      i += name[0].length;
      continue;
    }
    NUM_RE.lastIndex = i;
    const num = NUM_RE.exec(src);
    if (num) {
      push(num[2] || num[3] ? "float" : "int", num[0], i);
      i += num[0].length;
      continue;
    }
    if (src.startsWith('"""', i)) {
      const end = src.indexOf('"""', i + 3);
      if (end < 0) fail("Unterminated string.");
      const raw = src.slice(i + 3, end);
      const lines = raw.split(/\r\n|\n|\r/);
      const indents = lines.slice(1).filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
      const common = indents.length ? Math.min(...indents) : 0;
      const value = lines.map((l, n) => (n === 0 ? l : l.slice(common))).join("\n").replace(/^\s*\n|\n\s*$/g, "");
      push("string", value, i);
      for (const ch of raw) if (ch === "\n") line++;
      i = end + 3;
      if (raw.includes("\n")) lineStart = src.lastIndexOf("\n", end) + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      let out = "";
      i++;
      for (;;) {
        const ch = src[i];
        if (ch === undefined || ch === "\n" || ch === "\r") fail("Unterminated string.");
        if (ch === '"') break;
        if (ch === "\\") {
          const e = src[i + 1];
          const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
          if (e !== undefined && simple[e] !== undefined) {
            out += simple[e];
            i += 2;
          } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
          } else fail(`Invalid character escape sequence: "\\${e ?? ""}".`);
          continue;
        }
        out += ch;
        i++;
      }
      i++;
      push("string", out, start);
      continue;
    }
    fail(`Unexpected character: "${c}".`);
  }
  push("eof", "<EOF>", i);
  return toks;
}

type ValueNode = { loc: Loc } & (
  | { kind: "Variable"; name: string }
  | { kind: "Int" | "Float"; value: number; raw: string }
  | { kind: "String"; value: string }
  | { kind: "Boolean"; value: boolean }
  | { kind: "Null" }
  | { kind: "Enum"; value: string }
  | { kind: "List"; values: ValueNode[] }
  | { kind: "Object"; fields: { name: string; value: ValueNode }[] }
);
type Arg = { name: string; value: ValueNode; loc: Loc };
type Directive = { name: string; args: Arg[]; loc: Loc };
type FieldNode = { kind: "Field"; alias?: string; name: string; args: Arg[]; directives: Directive[]; selections?: Selection[]; loc: Loc };
type Selection =
  | FieldNode
  | { kind: "Spread"; name: string; directives: Directive[]; loc: Loc }
  | { kind: "Inline"; typeCondition?: string; directives: Directive[]; selections: Selection[]; loc: Loc };
type VarDef = { name: string; type: string; defaultValue?: ValueNode; loc: Loc };
type Operation = { operation: string; name?: string; variables: VarDef[]; selections: Selection[]; loc: Loc };
type Fragment = { name: string; typeCondition: string; selections: Selection[]; loc: Loc };
type Doc = { operations: Operation[]; fragments: Map<string, Fragment> };

class Parser {
  private i = 0;
  constructor(private readonly t: Tok[]) {}

  private get tok(): Tok {
    return this.t[this.i]!;
  }
  private loc(tok = this.tok): Loc {
    return { line: tok.line, column: tok.column };
  }
  private describe(tok: Tok): string {
    if (tok.kind === "eof") return "<EOF>";
    if (tok.kind === "punct") return `"${tok.value}"`;
    const kind = { name: "Name", int: "Int", float: "Float", string: "String" }[tok.kind];
    return `${kind} "${tok.value}"`;
  }
  private fail(msg: string, tok = this.tok): never {
    throw graphqlError(`Syntax Error: ${msg}`, "GRAPHQL_PARSE_FAILED", this.loc(tok));
  }
  private is(kind: Tok["kind"], value?: string): boolean {
    return this.tok.kind === kind && (value === undefined || this.tok.value === value);
  }
  private skip(kind: Tok["kind"], value?: string): boolean {
    if (!this.is(kind, value)) return false;
    this.i++;
    return true;
  }
  private expect(kind: Tok["kind"], value?: string): Tok {
    if (!this.is(kind, value)) this.fail(`Expected ${value !== undefined ? `"${value}"` : "Name"}, found ${this.describe(this.tok)}.`);
    return this.t[this.i++]!;
  }

  document(): Doc {
    const doc: Doc = { operations: [], fragments: new Map() };
    do {
      if (this.is("punct", "{")) {
        doc.operations.push({ operation: "query", variables: [], loc: this.loc(), selections: this.selectionSet() });
      } else if (this.is("name", "fragment")) {
        const loc = this.loc();
        this.i++;
        const name = this.expect("name").value;
        if (!this.skip("name", "on")) this.fail(`Expected "on", found ${this.describe(this.tok)}.`);
        const typeCondition = this.expect("name").value;
        this.directives();
        doc.fragments.set(name, { name, typeCondition, loc, selections: this.selectionSet() });
      } else if (this.is("name", "query") || this.is("name", "mutation") || this.is("name", "subscription")) {
        doc.operations.push(this.operation());
      } else {
        this.fail(`Unexpected ${this.describe(this.tok)}.`);
      }
    } while (!this.is("eof"));
    return doc;
  }

  private operation(): Operation {
    const loc = this.loc();
    const operation = this.expect("name").value;
    const name = this.is("name") ? this.expect("name").value : undefined;
    const variables: VarDef[] = [];
    if (this.skip("punct", "(")) {
      do {
        const vloc = this.loc();
        this.expect("punct", "$");
        const vname = this.expect("name").value;
        this.expect("punct", ":");
        const type = this.typeRef();
        const defaultValue = this.skip("punct", "=") ? this.value(true) : undefined;
        this.directives();
        variables.push({ name: vname, type, loc: vloc, ...(defaultValue ? { defaultValue } : {}) });
      } while (!this.skip("punct", ")"));
    }
    this.directives();
    return { operation, ...(name ? { name } : {}), variables, loc, selections: this.selectionSet() };
  }

  private typeRef(): string {
    let t: string;
    if (this.skip("punct", "[")) {
      t = `[${this.typeRef()}]`;
      this.expect("punct", "]");
    } else t = this.expect("name").value;
    return this.skip("punct", "!") ? `${t}!` : t;
  }

  private selectionSet(): Selection[] {
    this.expect("punct", "{");
    const out: Selection[] = [];
    do out.push(this.selection());
    while (!this.skip("punct", "}"));
    return out;
  }

  private selection(): Selection {
    const loc = this.loc();
    if (this.skip("punct", "...")) {
      if (this.is("name") && this.tok.value !== "on") {
        const name = this.expect("name").value;
        return { kind: "Spread", name, directives: this.directives(), loc };
      }
      const typeCondition = this.skip("name", "on") ? this.expect("name").value : undefined;
      const directives = this.directives();
      return { kind: "Inline", ...(typeCondition ? { typeCondition } : {}), directives, selections: this.selectionSet(), loc };
    }
    const first = this.expect("name").value;
    let alias: string | undefined;
    let name = first;
    if (this.skip("punct", ":")) {
      alias = first;
      name = this.expect("name").value;
    }
    const args = this.is("punct", "(") ? this.args(false) : [];
    const directives = this.directives();
    const selections = this.is("punct", "{") ? this.selectionSet() : undefined;
    return { kind: "Field", ...(alias ? { alias } : {}), name, args, directives, ...(selections ? { selections } : {}), loc };
  }

  private args(isConst: boolean): Arg[] {
    this.expect("punct", "(");
    const out: Arg[] = [];
    do {
      const loc = this.loc();
      const name = this.expect("name").value;
      this.expect("punct", ":");
      out.push({ name, value: this.value(isConst), loc });
    } while (!this.skip("punct", ")"));
    return out;
  }

  private directives(): Directive[] {
    const out: Directive[] = [];
    while (this.is("punct", "@")) {
      const loc = this.loc();
      this.i++;
      const name = this.expect("name").value;
      out.push({ name, args: this.is("punct", "(") ? this.args(false) : [], loc });
    }
    return out;
  }

  private value(isConst: boolean): ValueNode {
    const tok = this.tok;
    const loc = this.loc();
    if (tok.kind === "punct") {
      if (tok.value === "$" && !isConst) {
        this.i++;
        return { kind: "Variable", name: this.expect("name").value, loc };
      }
      if (tok.value === "[") {
        this.i++;
        const values: ValueNode[] = [];
        while (!this.skip("punct", "]")) values.push(this.value(isConst));
        return { kind: "List", values, loc };
      }
      if (tok.value === "{") {
        this.i++;
        const fields: { name: string; value: ValueNode }[] = [];
        while (!this.skip("punct", "}")) {
          const name = this.expect("name").value;
          this.expect("punct", ":");
          fields.push({ name, value: this.value(isConst) });
        }
        return { kind: "Object", fields, loc };
      }
      this.fail(`Unexpected ${this.describe(tok)}.`);
    }
    this.i++;
    if (tok.kind === "int") return { kind: "Int", value: Number(tok.value), raw: tok.value, loc };
    if (tok.kind === "float") return { kind: "Float", value: Number(tok.value), raw: tok.value, loc };
    if (tok.kind === "string") return { kind: "String", value: tok.value, loc };
    if (tok.kind === "name") {
      if (tok.value === "true" || tok.value === "false") return { kind: "Boolean", value: tok.value === "true", loc };
      if (tok.value === "null") return { kind: "Null", loc };
      return { kind: "Enum", value: tok.value, loc };
    }
    return this.fail(`Unexpected ${this.describe(tok)}.`, tok);
  }
}

const parse = (src: string): Doc => new Parser(lex(src)).document();

function print(node: ValueNode): string {
  switch (node.kind) {
    case "Variable":
      return `$${node.name}`;
    case "Int":
    case "Float":
      return node.raw;
    case "String":
      return JSON.stringify(node.value);
    case "Boolean":
      return String(node.value);
    case "Null":
      return "null";
    case "Enum":
      return node.value;
    case "List":
      return `[${node.values.map(print).join(", ")}]`;
    case "Object":
      return `{ ${node.fields.map((f) => `${f.name}: ${print(f.value)}`).join(", ")} }`;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema: the slice of Linear's types this sandbox serves (names and types as published)
// ---------------------------------------------------------------------------------------------

type Args = Record<string, unknown>;
type Resolver = (parent: unknown, args: Args) => unknown;
type OutField = { type: string; args?: Record<string, string>; resolve?: Resolver };
type Schema = Record<string, Record<string, OutField>>;

const SCALARS = new Set(["ID", "String", "Int", "Float", "Boolean", "DateTime", "TimelessDate", "DateTimeOrDuration", "TimelessDateOrDuration", "JSON", "JSONObject"]);
const ENUMS: Record<string, string[]> = {
  PaginationOrderBy: ["createdAt", "updatedAt"],
  ProjectStatusType: ["backlog", "canceled", "completed", "paused", "planned", "started"],
};
const named = (type: string) => type.replace(/[[\]!]/g, "");
const isLeaf = (type: string) => SCALARS.has(named(type)) || named(type) in ENUMS;

/** Accepted by Linear's schema but not evaluated here: typed JSON so the key is known, refused when used. */
const extra = (names: string) => Object.fromEntries(names.split(" ").map((n) => [n, "JSON"]));

const STRING_CMP = Object.fromEntries(
  "contains containsIgnoreCase containsIgnoreCaseAndAccent endsWith eq eqIgnoreCase neq neqIgnoreCase notContains notContainsIgnoreCase notEndsWith notStartsWith startsWith startsWithIgnoreCase"
    .split(" ")
    .map((n) => [n, "String"]),
);
const ID_CMP = { eq: "ID", in: "[ID!]", neq: "ID", nin: "[ID!]" };
const NUMBER_CMP = { eq: "Float", gt: "Float", gte: "Float", in: "[Float!]", lt: "Float", lte: "Float", neq: "Float", nin: "[Float!]" };
const DATE_CMP = { eq: "DateTimeOrDuration", gt: "DateTimeOrDuration", gte: "DateTimeOrDuration", in: "[DateTimeOrDuration!]", lt: "DateTimeOrDuration", lte: "DateTimeOrDuration", neq: "DateTimeOrDuration", nin: "[DateTimeOrDuration!]" };
const TIMELESS_CMP = Object.fromEntries(Object.entries(DATE_CMP).map(([k, v]) => [k, v.replace("DateTimeOrDuration", "TimelessDateOrDuration")]));

const ISSUE_FILTER = {
  and: "[IssueFilter!]",
  or: "[IssueFilter!]",
  id: "IssueIDComparator",
  number: "NumberComparator",
  title: "StringComparator",
  description: "NullableStringComparator",
  priority: "NullableNumberComparator",
  estimate: "JSON",
  team: "TeamFilter",
  state: "WorkflowStateFilter",
  assignee: "NullableUserFilter",
  creator: "NullableUserFilter",
  project: "NullableProjectFilter",
  parent: "NullableIssueFilter",
  labels: "IssueLabelCollectionFilter",
  createdAt: "DateComparator",
  updatedAt: "DateComparator",
  startedAt: "NullableDateComparator",
  completedAt: "NullableDateComparator",
  canceledAt: "NullableDateComparator",
  dueDate: "NullableTimelessDateComparator",
  ...extra(
    "accumulatedStateUpdatedAt activity addedToCycleAt addedToCyclePeriod ageTime archivedAt attachments autoArchivedAt autoClosedAt children comments customerCount customerImportantCount cycle cycleTime delegate hasActiveAgentSessions hasBlockedByRelations hasBlockingRelations hasDismissedAgentSessions hasDuplicateRelations hasErroredAgentSessions hasMergedAgentPullRequests hasRelatedRelations hasSharedUsers hasSuggestedAssignees hasSuggestedLabels hasSuggestedProjects hasSuggestedRelatedIssues hasSuggestedSimilarIssues hasSuggestedTeams lastAppliedTemplate leadTime needs projectMilestone reactions recurringIssueTemplate releases searchableContent sharedWith slaBreachesAt slaStatus snoozedBy snoozedUntilAt sourceMetadata subscribers suggestions triageTime triagedAt",
  ),
};
const TEAM_FILTER = {
  and: "[TeamFilter!]",
  or: "[TeamFilter!]",
  id: "IDComparator",
  key: "StringComparator",
  name: "StringComparator",
  description: "NullableStringComparator",
  private: "BooleanComparator",
  createdAt: "DateComparator",
  updatedAt: "DateComparator",
  ...extra("ancestors issues members owners parent releasePipelines restrictedBy retiredAt users visibility"),
};
const USER_FILTER = {
  and: "[UserFilter!]",
  or: "[UserFilter!]",
  id: "IDComparator",
  name: "StringComparator",
  displayName: "StringComparator",
  email: "StringComparator",
  active: "BooleanComparator",
  admin: "BooleanComparator",
  isMe: "BooleanComparator",
  createdAt: "DateComparator",
  updatedAt: "DateComparator",
  ...extra("app assignedIssues invited isInvited owner"),
};
const PROJECT_FILTER = {
  and: "[ProjectFilter!]",
  or: "[ProjectFilter!]",
  id: "IDComparator",
  name: "StringComparator",
  slugId: "StringComparator",
  state: "StringComparator",
  status: "ProjectStatusFilter",
  lead: "NullableUserFilter",
  creator: "UserFilter",
  accessibleTeams: "TeamCollectionFilter",
  startDate: "NullableDateComparator",
  targetDate: "NullableDateComparator",
  createdAt: "DateComparator",
  updatedAt: "DateComparator",
  startedAt: "NullableDateComparator",
  completedAt: "NullableDateComparator",
  canceledAt: "NullableDateComparator",
  ...extra(
    "activityType completedProjectMilestones customerCount customerImportantCount hasBlockedByRelations hasBlockingRelations hasDependedOnByRelations hasDependsOnRelations hasRelatedRelations hasViolatedRelations health healthWithAge initiatives issues labels lastAppliedTemplate members needs nextProjectMilestone priority projectMilestones projectUpdates roadmaps searchableContent",
  ),
};
const nullable = (fields: Record<string, string>, self: string, base: string) => ({
  ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === `[${base}!]` ? `[${self}!]` : v])),
  null: "Boolean",
});

const INPUTS: Record<string, Record<string, string>> = {
  IssueCreateInput: {
    assigneeId: "String",
    completedAt: "DateTime",
    createAsUser: "String",
    createdAt: "DateTime",
    cycleId: "String",
    delegateId: "String",
    description: "String",
    descriptionData: "JSON",
    displayIconUrl: "String",
    dueDate: "TimelessDate",
    estimate: "Int",
    id: "String",
    inheritsSharedAccess: "Boolean",
    labelIds: "[String!]",
    lastAppliedTemplateId: "String",
    parentId: "String",
    preserveSortOrderOnCreate: "Boolean",
    priority: "Int",
    prioritySortOrder: "Float",
    projectId: "String",
    projectMilestoneId: "String",
    referenceCommentId: "String",
    releaseIds: "[String!]",
    slaBreachesAt: "DateTime",
    slaStartedAt: "DateTime",
    slaType: "JSON",
    sortOrder: "Float",
    sourceCommentId: "String",
    sourcePullRequestCommentId: "String",
    stateId: "String",
    subIssueSortOrder: "Float",
    subscriberIds: "[String!]",
    teamId: "String!",
    templateId: "String",
    title: "String",
    useDefaultTemplate: "Boolean",
  },
  IssueUpdateInput: {
    addedLabelIds: "[String!]",
    addedReleaseIds: "[String!]",
    assigneeId: "String",
    autoClosedByParentClosing: "Boolean",
    cycleId: "String",
    delegateId: "String",
    description: "String",
    descriptionData: "JSON",
    dueDate: "TimelessDate",
    estimate: "Int",
    inheritsSharedAccess: "Boolean",
    labelIds: "[String!]",
    lastAppliedTemplateId: "String",
    parentId: "String",
    priority: "Int",
    prioritySortOrder: "Float",
    projectId: "String",
    projectMilestoneId: "String",
    releaseIds: "[String!]",
    removedLabelIds: "[String!]",
    removedReleaseIds: "[String!]",
    slaBreachesAt: "DateTime",
    slaStartedAt: "DateTime",
    slaType: "JSON",
    snoozedById: "String",
    snoozedUntilAt: "DateTime",
    sortOrder: "Float",
    stateId: "String",
    subIssueSortOrder: "Float",
    subscriberIds: "[String!]",
    teamId: "String",
    title: "String",
    trashed: "Boolean",
    trusted: "Boolean",
  },
  CommentCreateInput: {
    body: "String",
    bodyData: "JSON",
    createAsUser: "String",
    createOnSyncedSlackThread: "Boolean",
    createdAt: "DateTime",
    displayIconUrl: "String",
    doNotSubscribeToIssue: "Boolean",
    documentContentId: "String",
    id: "String",
    initiativeId: "String",
    initiativeUpdateId: "String",
    issueId: "String",
    parentId: "String",
    postId: "String",
    projectId: "String",
    projectUpdateId: "String",
    quotedText: "String",
    subscriberIds: "[String!]",
  },
  StringComparator: STRING_CMP,
  NullableStringComparator: { ...STRING_CMP, in: "[String!]", nin: "[String!]", null: "Boolean" },
  IDComparator: ID_CMP,
  IssueIDComparator: ID_CMP,
  NumberComparator: NUMBER_CMP,
  NullableNumberComparator: { ...NUMBER_CMP, null: "Boolean" },
  BooleanComparator: { eq: "Boolean", neq: "Boolean" },
  DateComparator: DATE_CMP,
  NullableDateComparator: { ...DATE_CMP, null: "Boolean" },
  NullableTimelessDateComparator: { ...TIMELESS_CMP, null: "Boolean" },
  IssueFilter: ISSUE_FILTER,
  NullableIssueFilter: nullable(ISSUE_FILTER, "NullableIssueFilter", "IssueFilter"),
  TeamFilter: TEAM_FILTER,
  NullableTeamFilter: nullable(TEAM_FILTER, "NullableTeamFilter", "TeamFilter"),
  TeamCollectionFilter: {
    and: "[TeamCollectionFilter!]",
    or: "[TeamCollectionFilter!]",
    some: "TeamFilter",
    every: "TeamFilter",
    length: "NumberComparator",
    id: "IDComparator",
    key: "StringComparator",
    name: "StringComparator",
    ...extra("ancestors createdAt description issues members owners parent private releasePipelines restrictedBy retiredAt updatedAt users visibility"),
  },
  WorkflowStateFilter: {
    and: "[WorkflowStateFilter!]",
    or: "[WorkflowStateFilter!]",
    id: "IDComparator",
    name: "StringComparator",
    type: "StringComparator",
    description: "StringComparator",
    position: "NumberComparator",
    team: "TeamFilter",
    createdAt: "DateComparator",
    updatedAt: "DateComparator",
    ...extra("issues"),
  },
  UserFilter: USER_FILTER,
  NullableUserFilter: nullable(USER_FILTER, "NullableUserFilter", "UserFilter"),
  ProjectFilter: PROJECT_FILTER,
  NullableProjectFilter: nullable(PROJECT_FILTER, "NullableProjectFilter", "ProjectFilter"),
  ProjectStatusFilter: {
    and: "[ProjectStatusFilter!]",
    or: "[ProjectStatusFilter!]",
    id: "IDComparator",
    name: "StringComparator",
    type: "StringComparator",
    description: "StringComparator",
    position: "NumberComparator",
    createdAt: "DateComparator",
    updatedAt: "DateComparator",
    ...extra("projects"),
  },
  IssueLabelFilter: {
    and: "[IssueLabelFilter!]",
    or: "[IssueLabelFilter!]",
    id: "IDComparator",
    name: "StringComparator",
    createdAt: "DateComparator",
    updatedAt: "DateComparator",
    ...extra("creator isGroup parent team"),
  },
  IssueLabelCollectionFilter: {
    and: "[IssueLabelCollectionFilter!]",
    or: "[IssueLabelCollectionFilter!]",
    some: "IssueLabelFilter",
    every: "IssueLabelFilter",
    length: "NumberComparator",
    null: "Boolean",
    id: "IDComparator",
    name: "StringComparator",
    ...extra("createdAt creator isGroup parent team updatedAt"),
  },
};

const isInputType = (type: string) => SCALARS.has(named(type)) || named(type) in ENUMS || named(type) in INPUTS;

// ---------------------------------------------------------------------------------------------
// Validation (the subset of graphql-js's rules that clients trip over)
// ---------------------------------------------------------------------------------------------

function subtype(a: string, b: string): boolean {
  if (b.endsWith("!")) return a.endsWith("!") && subtype(a.slice(0, -1), b.slice(0, -1));
  if (a.endsWith("!")) return subtype(a.slice(0, -1), b);
  if (b.startsWith("[")) return a.startsWith("[") && subtype(a.slice(1, -1), b.slice(1, -1));
  return !a.startsWith("[") && a === b;
}

function literalScalarError(node: ValueNode, type: string): string | null {
  const shown = print(node);
  if (type in ENUMS) {
    if (node.kind !== "Enum") return `Enum "${type}" cannot represent non-enum value: ${shown}.`;
    return ENUMS[type]!.includes(node.value) ? null : `Value "${node.value}" does not exist in "${type}" enum.`;
  }
  switch (type) {
    case "Int":
      return node.kind === "Int" && Math.abs(node.value) <= 2 ** 31 - 1 ? null : `Int cannot represent non-integer value: ${shown}`;
    case "Float":
      return node.kind === "Int" || node.kind === "Float" ? null : `Float cannot represent non numeric value: ${shown}`;
    case "Boolean":
      return node.kind === "Boolean" ? null : `Boolean cannot represent a non boolean value: ${shown}`;
    case "ID":
      return node.kind === "String" || node.kind === "Int" ? null : `ID cannot represent a non-string and non-integer value: ${shown}`;
    case "JSON":
    case "JSONObject":
      return null;
    default:
      return node.kind === "String" ? null : `${type} cannot represent a non string value: ${shown}`;
  }
}

function validate(schema: Schema, doc: Doc, op: Operation): ErrorBody[] {
  const errors: ErrorBody[] = [];
  const push = (message: string, loc?: Loc) =>
    errors.push({ message, ...(loc ? { locations: [loc] } : {}), extensions: { type: "graphql error", code: "GRAPHQL_VALIDATION_FAILED", userError: true } });
  const rootType = op.operation === "query" ? "Query" : op.operation === "mutation" ? "Mutation" : null;
  if (!rootType) {
    push(`The Linear sandbox does not serve ${op.operation} operations.`, op.loc);
    return errors;
  }
  const defs = new Map<string, VarDef>();
  for (const v of op.variables) {
    if (defs.has(v.name)) push(`There can be only one variable named "$${v.name}".`, v.loc);
    const n = named(v.type);
    if (!isInputType(v.type)) push(n in schema ? `Variable "$${v.name}" cannot be non-input type "${v.type}".` : `Unknown type "${n}".`, v.loc);
    defs.set(v.name, v);
  }
  const usages: { name: string; type: string; loc: Loc }[] = [];

  const checkValue = (node: ValueNode, type: string): void => {
    if (node.kind === "Variable") {
      usages.push({ name: node.name, type, loc: node.loc });
      return;
    }
    if (type.endsWith("!")) {
      if (node.kind === "Null") push(`Expected value of type "${type}", found null.`, node.loc);
      else checkValue(node, type.slice(0, -1));
      return;
    }
    if (node.kind === "Null") return;
    if (type.startsWith("[")) {
      const inner = type.slice(1, -1);
      if (node.kind === "List") node.values.forEach((v) => checkValue(v, inner));
      else checkValue(node, inner);
      return;
    }
    const input = INPUTS[type];
    if (input) {
      if (node.kind !== "Object") {
        push(`Expected value of type "${type}", found ${print(node)}.`, node.loc);
        return;
      }
      for (const f of node.fields) {
        const ft = input[f.name];
        if (!ft) push(`Field "${f.name}" is not defined by type "${type}".`, f.value.loc);
        else checkValue(f.value, ft);
      }
      for (const [fn, ft] of Object.entries(input)) {
        if (ft.endsWith("!") && !node.fields.some((f) => f.name === fn)) push(`Field "${type}.${fn}" of required type "${ft}" was not provided.`, node.loc);
      }
      return;
    }
    const err = literalScalarError(node, type);
    if (err) push(err, node.loc);
  };

  const checkDirectives = (directives: Directive[]) => {
    for (const d of directives) {
      if (d.name !== "skip" && d.name !== "include") {
        push(`Unknown directive "@${d.name}".`, d.loc);
        continue;
      }
      const cond = d.args.find((a) => a.name === "if");
      if (!cond) push(`Directive "@${d.name}" argument "if" of type "Boolean!" is required, but it was not provided.`, d.loc);
      for (const a of d.args) {
        if (a.name !== "if") push(`Unknown argument "${a.name}" on directive "@${d.name}".`, a.loc);
        else checkValue(a.value, "Boolean!");
      }
    }
  };

  const spreading = new Set<string>();
  const walk = (typeName: string, selections: Selection[]): void => {
    for (const s of selections) {
      checkDirectives(s.directives);
      if (s.kind === "Spread") {
        const f = doc.fragments.get(s.name);
        if (!f) push(`Unknown fragment "${s.name}".`, s.loc);
        else if (f.typeCondition !== typeName) push(`Fragment "${s.name}" cannot be spread here as objects of type "${typeName}" can never be of type "${f.typeCondition}".`, s.loc);
        else if (spreading.has(s.name)) push(`Cannot spread fragment "${s.name}" within itself.`, s.loc);
        else {
          spreading.add(s.name);
          walk(typeName, f.selections);
          spreading.delete(s.name);
        }
        continue;
      }
      if (s.kind === "Inline") {
        if (s.typeCondition && s.typeCondition !== typeName) push(`Fragment cannot be spread here as objects of type "${typeName}" can never be of type "${s.typeCondition}".`, s.loc);
        else walk(typeName, s.selections);
        continue;
      }
      if (s.name === "__typename") {
        if (s.selections) push(`Field "__typename" must not have a selection since type "String!" has no subfields.`, s.loc);
        continue;
      }
      const spec = schema[typeName]?.[s.name];
      if (!spec) {
        push(`Cannot query field "${s.name}" on type "${typeName}".`, s.loc);
        continue;
      }
      const argSpecs = spec.args ?? {};
      for (const a of s.args) {
        const at = argSpecs[a.name];
        if (!at) push(`Unknown argument "${a.name}" on field "${typeName}.${s.name}".`, a.loc);
        else checkValue(a.value, at);
      }
      for (const [an, at] of Object.entries(argSpecs)) {
        if (at.endsWith("!") && !s.args.some((a) => a.name === an)) push(`Field "${s.name}" argument "${an}" of type "${at}" is required, but it was not provided.`, s.loc);
      }
      if (isLeaf(spec.type)) {
        if (s.selections) push(`Field "${s.name}" must not have a selection since type "${spec.type}" has no subfields.`, s.loc);
      } else if (!s.selections) {
        push(`Field "${s.name}" of type "${spec.type}" must have a selection of subfields. Did you mean "${s.name} { ... }"?`, s.loc);
      } else {
        walk(named(spec.type), s.selections);
      }
    }
  };
  walk(rootType, op.selections);

  for (const u of usages) {
    const d = defs.get(u.name);
    if (!d) {
      push(op.name ? `Variable "$${u.name}" is not defined by operation "${op.name}".` : `Variable "$${u.name}" is not defined.`, u.loc);
      continue;
    }
    const hasDefault = d.defaultValue !== undefined && d.defaultValue.kind !== "Null";
    const ok = u.type.endsWith("!") && !d.type.endsWith("!") && hasDefault ? subtype(d.type, u.type.slice(0, -1)) : subtype(d.type, u.type);
    if (!ok) push(`Variable "$${u.name}" of type "${d.type}" used in position expecting type "${u.type}".`, u.loc);
  }
  for (const d of defs.values()) {
    if (!usages.some((u) => u.name === d.name)) push(op.name ? `Variable "$${d.name}" is never used in operation "${op.name}".` : `Variable "$${d.name}" is never used.`, d.loc);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Variable coercion (graphql-js messages)
// ---------------------------------------------------------------------------------------------

class CoercionError {
  constructor(
    readonly reason: string,
    readonly value: unknown,
    readonly path: Path,
  ) {}
}

const ISO_DURATION = /^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

function coerceScalar(value: unknown, type: string, path: Path): unknown {
  const fail = (reason: string): never => {
    throw new CoercionError(reason, value, path);
  };
  if (type in ENUMS) {
    if (typeof value !== "string" || !ENUMS[type]!.includes(value)) fail(`Value ${inspect(value)} does not exist in "${type}" enum.`);
    return value;
  }
  switch (type) {
    case "String":
      return typeof value === "string" ? value : fail(`String cannot represent a non string value: ${inspect(value)}`);
    case "Int":
      if (typeof value !== "number" || !Number.isInteger(value)) return fail(`Int cannot represent non-integer value: ${inspect(value)}`);
      return Math.abs(value) <= 2 ** 31 - 1 ? value : fail(`Int cannot represent non 32-bit signed integer value: ${inspect(value)}`);
    case "Float":
      return typeof value === "number" && Number.isFinite(value) ? value : fail(`Float cannot represent non numeric value: ${inspect(value)}`);
    case "Boolean":
      return typeof value === "boolean" ? value : fail(`Boolean cannot represent a non boolean value: ${inspect(value)}`);
    case "ID":
      if (typeof value === "string") return value;
      return typeof value === "number" && Number.isInteger(value) ? String(value) : fail(`ID cannot represent value: ${inspect(value)}`);
    case "DateTime":
      return typeof value === "string" && Number.isFinite(Date.parse(value)) ? value : fail(`DateTime cannot represent an invalid date-time-string ${inspect(value)}.`);
    case "TimelessDate":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : fail(`TimelessDate cannot represent an invalid date ${inspect(value)}.`);
    case "DateTimeOrDuration":
    case "TimelessDateOrDuration":
      return typeof value === "string" && (Number.isFinite(Date.parse(value)) || ISO_DURATION.test(value)) ? value : fail(`${type} cannot represent ${inspect(value)}.`);
    case "JSONObject":
      return value && typeof value === "object" && !Array.isArray(value) ? value : fail(`JSONObject cannot represent non-object value: ${inspect(value)}`);
    default:
      return value;
  }
}

function coerce(value: unknown, type: string, path: Path): unknown {
  if (type.endsWith("!")) {
    if (value === null || value === undefined) throw new CoercionError(`Expected non-nullable type "${type}" not to be null.`, value, path);
    return coerce(value, type.slice(0, -1), path);
  }
  if (value === null || value === undefined) return null;
  if (type.startsWith("[")) {
    const inner = type.slice(1, -1);
    return Array.isArray(value) ? value.map((v, i) => coerce(v, inner, [...path, i])) : [coerce(value, inner, path)];
  }
  const input = INPUTS[type];
  if (!input) return coerceScalar(value, type, path);
  if (typeof value !== "object" || Array.isArray(value)) throw new CoercionError(`Expected type "${type}" to be an object.`, value, path);
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!(k in input)) throw new CoercionError(`Field "${k}" is not defined by type "${type}".`, value, path);
  const out: Record<string, unknown> = {};
  for (const [k, ft] of Object.entries(input)) {
    if (obj[k] === undefined) {
      if (ft.endsWith("!")) throw new CoercionError(`Field "${k}" of required type "${ft}" was not provided.`, value, path);
      continue;
    }
    out[k] = coerce(obj[k], ft, [...path, k]);
  }
  return out;
}

function coerceVariables(op: Operation, provided: Record<string, unknown>): { values: Record<string, unknown>; errors: ErrorBody[] } {
  const values: Record<string, unknown> = {};
  const errors: ErrorBody[] = [];
  const push = (message: string, loc: Loc) => errors.push({ message, locations: [loc], extensions: { type: "graphql error", code: "BAD_USER_INPUT", userError: true } });
  for (const d of op.variables) {
    const has = Object.prototype.hasOwnProperty.call(provided, d.name) && provided[d.name] !== undefined;
    if (!has) {
      if (d.defaultValue) values[d.name] = literalValue(d.defaultValue, {});
      else if (d.type.endsWith("!")) push(`Variable "$${d.name}" of required type "${d.type}" was not provided.`, d.loc);
      continue;
    }
    const raw = provided[d.name];
    if (raw === null && d.type.endsWith("!")) {
      push(`Variable "$${d.name}" of non-null type "${d.type}" must not be null.`, d.loc);
      continue;
    }
    try {
      values[d.name] = coerce(raw, d.type, []);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      const at = e.path.length ? ` at "${d.name}${e.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}"` : "";
      push(`Variable "$${d.name}" got invalid value ${inspect(e.value)}${at}; ${e.reason}`, d.loc);
    }
  }
  return { values, errors };
}

function literalValue(node: ValueNode, vars: Record<string, unknown>): unknown {
  switch (node.kind) {
    case "Variable":
      return vars[node.name];
    case "Null":
      return null;
    case "List":
      return node.values.map((v) => literalValue(v, vars));
    case "Object": {
      const out: Record<string, unknown> = {};
      for (const f of node.fields) {
        const v = literalValue(f.value, vars);
        if (v !== undefined) out[f.name] = v;
      }
      return out;
    }
    default:
      return node.value;
  }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/** A non-null field failed: its parent becomes null (GraphQL's null propagation). */
class Bubble {}

function execute(schema: Schema, doc: Doc, op: Operation, vars: Record<string, unknown>): { data: Record<string, unknown> | null; errors: ErrorBody[] } {
  const errors: ErrorBody[] = [];

  const included = (directives: Directive[]) =>
    directives.every((d) => {
      const cond = Boolean(literalValue(d.args.find((a) => a.name === "if")!.value, vars));
      return d.name === "skip" ? !cond : cond;
    });

  const collect = (lists: Selection[][]): Map<string, FieldNode[]> => {
    const out = new Map<string, FieldNode[]>();
    const visit = (selections: Selection[]) => {
      for (const s of selections) {
        if (!included(s.directives)) continue;
        if (s.kind === "Field") {
          const key = s.alias ?? s.name;
          out.set(key, [...(out.get(key) ?? []), s]);
        } else if (s.kind === "Spread") visit(doc.fragments.get(s.name)!.selections);
        else visit(s.selections);
      }
    };
    lists.forEach(visit);
    return out;
  };

  const complete = (type: string, value: unknown, nodes: FieldNode[], path: Path, fieldName: string): unknown => {
    if (type.endsWith("!")) {
      const v = complete(type.slice(0, -1), value, nodes, path, fieldName);
      if (v === null) throw new GqlError(`Cannot return null for non-nullable field ${fieldName}.`, { type: "internal error", code: "INTERNAL_SERVER_ERROR", userError: false });
      return v;
    }
    if (value === null || value === undefined) return null;
    if (type.startsWith("[")) return (value as unknown[]).map((v, i) => complete(type.slice(1, -1), v, nodes, [...path, i], fieldName));
    if (isLeaf(type)) return value;
    return object(type, value, collect(nodes.map((n) => n.selections ?? [])), path);
  };

  const object = (typeName: string, parent: unknown, fields: Map<string, FieldNode[]>, path: Path): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, nodes] of fields) {
      const node = nodes[0]!;
      if (node.name === "__typename") {
        out[key] = typeName;
        continue;
      }
      const spec = schema[typeName]![node.name]!;
      const fieldPath = [...path, key];
      try {
        const args: Args = {};
        for (const a of node.args) {
          const v = literalValue(a.value, vars);
          if (v !== undefined) args[a.name] = v;
        }
        const raw = spec.resolve ? spec.resolve(parent, args) : (parent as Record<string, unknown>)[node.name];
        out[key] = complete(spec.type, raw, nodes, fieldPath, `${typeName}.${node.name}`);
      } catch (e) {
        if (e instanceof GqlError) errors.push(e.body(fieldPath, node.loc));
        else if (!(e instanceof Bubble)) throw e;
        if (spec.type.endsWith("!")) throw new Bubble();
        out[key] = null;
      }
    }
    return out;
  };

  let data: Record<string, unknown> | null;
  try {
    data = object(op.operation === "mutation" ? "Mutation" : "Query", null, collect([op.selections]), []);
  } catch (e) {
    if (!(e instanceof Bubble)) throw e;
    data = null;
  }
  return { data, errors };
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

type StateType = "triage" | "backlog" | "unstarted" | "started" | "completed" | "canceled";
type Base = { id: string; createdAt: string; updatedAt: string };
type UserRec = Base & { name: string; displayName: string; email: string; admin: boolean };
type TeamRec = Base & { key: string; name: string; description: string | null; color: string; icon: string | null };
type WorkflowStateRec = Base & { teamId: string; name: string; type: StateType; color: string; position: number; description: string | null };
type LabelRec = Base & { name: string; color: string; description: string | null };
type ProjectStatusRec = Base & { name: string; type: string; color: string; position: number };
type ProjectRec = Base & {
  name: string;
  description: string;
  slugId: string;
  color: string;
  icon: string | null;
  statusId: string;
  leadId: string | null;
  creatorId: string;
  teamIds: string[];
  startDate: string | null;
  targetDate: string | null;
  startedAt: string | null;
  completedAt: string | null;
  canceledAt: string | null;
};
type IssueRec = Base & {
  teamId: string;
  number: number;
  title: string;
  description: string | null;
  priority: number;
  estimate: number | null;
  stateId: string;
  assigneeId: string | null;
  creatorId: string | null;
  projectId: string | null;
  parentId: string | null;
  labelIds: string[];
  dueDate: string | null;
  startedAt: string | null;
  completedAt: string | null;
  canceledAt: string | null;
};
type CommentRec = Base & { issueId: string; userId: string; parentId: string | null; body: string; editedAt: string | null };

type Data = {
  org: { id: string; name: string; urlKey: string; createdAt: string };
  viewerId: string;
  users: UserRec[];
  teams: TeamRec[];
  states: WorkflowStateRec[];
  labels: LabelRec[];
  statuses: ProjectStatusRec[];
  projects: ProjectRec[];
  issues: IssueRec[];
  comments: CommentRec[];
  seq: number;
  lastSyncId: number;
};

const PRIORITY_LABELS = ["No priority", "Urgent", "High", "Medium", "Low"];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown): v is string => typeof v === "string" && UUID_RE.test(v);

/** A deterministic, well-formed v4 UUID for the n-th object the sandbox creates. */
function uuidFor(n: number): string {
  let x = (n * 2654435761) >>> 0;
  let hex = "";
  while (hex.length < 32) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    hex += x.toString(16).padStart(8, "0");
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16]!, 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");

function seed(): Data {
  const t = (d: string) => new Date(d).toISOString();
  const org = { id: "6e1f2a90-4b3c-4d7e-9f10-2a3b4c5d6e7f", name: "Acme Robotics", urlKey: "acme", createdAt: t("2025-10-01T09:00:00Z") };
  const users: UserRec[] = [
    { id: "3b8f6d2e-91a4-4c57-8e0b-5d2f7a1c9e34", name: "Ada Lovelace", displayName: "ada", email: "ada@acme-robotics.example", admin: true, createdAt: t("2025-10-01T09:00:00Z"), updatedAt: t("2026-01-02T09:00:00Z") },
    { id: "7c1e9a4b-2d6f-4a83-b5c0-8e9f1d2a3b47", name: "Grace Hopper", displayName: "grace", email: "grace@acme-robotics.example", admin: false, createdAt: t("2025-10-02T09:00:00Z"), updatedAt: t("2026-01-03T09:00:00Z") },
  ];
  const [ada, grace] = users as [UserRec, UserRec];
  const teams: TeamRec[] = [
    { id: "a4c2e8f1-5b7d-4e90-8c3a-1f2e3d4c5b6a", key: "ENG", name: "Engineering", description: "Platform, API and mobile engineering", color: "#5e6ad2", icon: "Code", createdAt: t("2025-11-03T09:00:00Z"), updatedAt: t("2025-11-03T09:00:00Z") },
    { id: "d9b7c5a3-1e2f-4a6b-9c8d-7e6f5a4b3c2d", key: "DES", name: "Design", description: "Product and brand design", color: "#f2994a", icon: "Palette", createdAt: t("2025-11-04T09:00:00Z"), updatedAt: t("2025-11-04T09:00:00Z") },
  ];
  const [eng, des] = teams as [TeamRec, TeamRec];
  const stateDefs: [string, StateType, string][] = [
    ["Backlog", "backlog", "#bec2c8"],
    ["Todo", "unstarted", "#e2e2e2"],
    ["In Progress", "started", "#f2c94c"],
    ["Done", "completed", "#5e6ad2"],
    ["Canceled", "canceled", "#95a2b3"],
  ];
  const stateIds: Record<string, string[]> = {
    ENG: ["0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a41", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a42", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a43", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a44", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a45"],
    DES: ["5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c81", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c82", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c83", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c84", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c85"],
  };
  const states: WorkflowStateRec[] = teams.flatMap((team) =>
    stateDefs.map(([name, type, color], position) => {
      const at = new Date(Date.parse(team.createdAt) + position * 1000).toISOString();
      return { id: stateIds[team.key]![position]!, teamId: team.id, name, type, color, position, description: null, createdAt: at, updatedAt: at };
    }),
  );
  const stateOf = (team: TeamRec, name: string) => states.find((s) => s.teamId === team.id && s.name === name)!.id;
  const labels: LabelRec[] = [
    { id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e51", name: "Bug", color: "#eb5757", description: "Something is broken", createdAt: t("2025-10-01T10:00:00Z"), updatedAt: t("2025-10-01T10:00:00Z") },
    { id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e52", name: "Feature", color: "#bb87fc", description: "New functionality", createdAt: t("2025-10-01T10:01:00Z"), updatedAt: t("2025-10-01T10:01:00Z") },
    { id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e53", name: "Improvement", color: "#4ea7fc", description: "Better than before", createdAt: t("2025-10-01T10:02:00Z"), updatedAt: t("2025-10-01T10:02:00Z") },
  ];
  const [bug, feature, improvement] = labels as [LabelRec, LabelRec, LabelRec];
  const statusDefs: [string, string, string][] = [
    ["Backlog", "backlog", "#bec2c8"],
    ["Planned", "planned", "#e2e2e2"],
    ["In Progress", "started", "#f2c94c"],
    ["Paused", "paused", "#95a2b3"],
    ["Completed", "completed", "#5e6ad2"],
    ["Canceled", "canceled", "#95a2b3"],
  ];
  const statuses: ProjectStatusRec[] = statusDefs.map(([name, type, color], position) => ({
    id: `e7f8a9b0-c1d2-4e3f-9a4b-5c6d7e8f9a0${position}`,
    name,
    type,
    color,
    position,
    createdAt: org.createdAt,
    updatedAt: org.createdAt,
  }));
  const projects: ProjectRec[] = [
    {
      id: "f3e2d1c0-b9a8-4f7e-8d6c-5b4a39281706",
      name: "Mobile App Launch",
      description: "Ship the first public version of the Acme companion app on iOS and Android.",
      slugId: "8c2b7e1f4a9d",
      color: "#4cb782",
      icon: "Mobile",
      statusId: statuses[2]!.id,
      leadId: ada.id,
      creatorId: ada.id,
      teamIds: [eng.id, des.id],
      startDate: "2026-01-05",
      targetDate: "2026-03-31",
      createdAt: t("2025-12-15T09:00:00Z"),
      updatedAt: t("2026-02-10T09:00:00Z"),
      startedAt: t("2026-01-05T09:00:00Z"),
      completedAt: null,
      canceledAt: null,
    },
    {
      id: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      name: "Design System v2",
      description: "Tokens, components and documentation for the next design system.",
      slugId: "3e9a1c7b5d2f",
      color: "#f2994a",
      icon: null,
      statusId: statuses[1]!.id,
      leadId: grace.id,
      creatorId: grace.id,
      teamIds: [des.id],
      startDate: "2026-04-01",
      targetDate: null,
      createdAt: t("2026-01-20T09:00:00Z"),
      updatedAt: t("2026-01-20T09:00:00Z"),
      startedAt: null,
      completedAt: null,
      canceledAt: null,
    },
  ];
  const [launch] = projects as [ProjectRec];
  const issue = (
    id: string,
    team: TeamRec,
    number: number,
    title: string,
    description: string,
    state: string,
    priority: number,
    assignee: UserRec | null,
    creator: UserRec,
    labelIds: string[],
    projectId: string | null,
    createdAt: string,
    updatedAt: string,
  ): IssueRec => {
    const stateId = stateOf(team, state);
    const type = states.find((s) => s.id === stateId)!.type;
    return {
      id,
      teamId: team.id,
      number,
      title,
      description,
      priority,
      estimate: null,
      stateId,
      assigneeId: assignee?.id ?? null,
      creatorId: creator.id,
      projectId,
      parentId: null,
      labelIds,
      dueDate: null,
      createdAt: t(createdAt),
      updatedAt: t(updatedAt),
      startedAt: type === "started" || type === "completed" ? t(updatedAt) : null,
      completedAt: type === "completed" ? t(updatedAt) : null,
      canceledAt: null,
    };
  };
  const issues: IssueRec[] = [
    issue(
      "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b61",
      eng,
      1,
      "Login button unresponsive on Safari 17",
      "Clicking **Sign in** does nothing on Safari 17.2 after the first render.\n\n- Reproducible on macOS 14\n- Works in Chrome and Firefox",
      "In Progress",
      1,
      ada,
      grace,
      [bug.id],
      launch.id,
      "2026-01-12T10:00:00Z",
      "2026-02-11T15:30:00Z",
    ),
    issue("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b62", eng, 2, "Add rate limiting to the public API", "Per-token limits with `Retry-After` on 429.", "Todo", 2, grace, ada, [feature.id], null, "2026-01-19T10:00:00Z", "2026-01-26T11:00:00Z"),
    issue("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b63", eng, 3, "Upgrade Postgres to 16", "Plan the upgrade window and test the migration on staging.", "Backlog", 3, null, ada, [improvement.id], null, "2026-02-02T10:00:00Z", "2026-02-02T10:00:00Z"),
    issue("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b64", eng, 4, "Fix flaky checkout integration test", "The payment mock times out on CI about once in twenty runs.", "Done", 4, ada, grace, [bug.id], launch.id, "2026-02-09T10:00:00Z", "2026-02-12T09:00:00Z"),
    issue("4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b1", des, 1, "Redesign onboarding flow", "Cut onboarding from five screens to three; keep the permission prompts in context.", "In Progress", 2, grace, ada, [feature.id], launch.id, "2026-01-14T10:00:00Z", "2026-02-08T16:00:00Z"),
    issue("4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b2", des, 2, "Define dark mode color tokens", "Semantic tokens for surfaces, text and accents in dark mode.", "Todo", 0, ada, grace, [], null, "2026-02-05T10:00:00Z", "2026-02-05T10:00:00Z"),
  ];
  const comments: CommentRec[] = [
    {
      id: "b0a1c2d3-e4f5-4a6b-9c7d-8e9f0a1b2c31",
      issueId: issues[0]!.id,
      userId: grace.id,
      parentId: null,
      body: "Reproduced on Safari 17.2 — the click handler never fires after the first render.",
      editedAt: null,
      createdAt: t("2026-01-13T09:15:00Z"),
      updatedAt: t("2026-01-13T09:15:00Z"),
    },
  ];
  return { org, viewerId: ada.id, users, teams, states, labels, statuses, projects, issues, comments, seq: 1, lastSyncId: 48_211 };
}

// ---------------------------------------------------------------------------------------------
// Filters and pagination
// ---------------------------------------------------------------------------------------------

type Pred = (rec: never, cond: Record<string, unknown>) => boolean;

function compare(value: unknown, cond: Record<string, unknown>, where: string): boolean {
  const lower = (v: unknown) => String(v ?? "").toLowerCase();
  const asTime = (v: unknown) => (typeof v === "number" ? v : Date.parse(String(v)));
  const order = (want: unknown) => {
    if (typeof value === "number" && typeof want === "number") return value - want;
    const a = asTime(value);
    const b = asTime(want);
    if (!Number.isFinite(b)) throw unsupported(`relative date comparisons (${where})`);
    return a - b;
  };
  for (const [op, want] of Object.entries(cond)) {
    if (want === undefined || (want === null && op !== "null")) continue;
    const s = String(value ?? "");
    let ok: boolean;
    switch (op) {
      case "eq":
        ok = value === want || (value !== null && value !== undefined && String(value) === String(want));
        break;
      case "neq":
        ok = !(value === want || (value !== null && value !== undefined && String(value) === String(want)));
        break;
      case "in":
        ok = (want as unknown[]).some((w) => String(w) === String(value));
        break;
      case "nin":
        ok = !(want as unknown[]).some((w) => String(w) === String(value));
        break;
      case "eqIgnoreCase":
        ok = lower(value) === lower(want);
        break;
      case "neqIgnoreCase":
        ok = lower(value) !== lower(want);
        break;
      case "contains":
        ok = s.includes(String(want));
        break;
      case "notContains":
        ok = !s.includes(String(want));
        break;
      case "containsIgnoreCase":
      case "containsIgnoreCaseAndAccent":
        ok = lower(value).includes(lower(want));
        break;
      case "notContainsIgnoreCase":
        ok = !lower(value).includes(lower(want));
        break;
      case "startsWith":
        ok = s.startsWith(String(want));
        break;
      case "startsWithIgnoreCase":
        ok = lower(value).startsWith(lower(want));
        break;
      case "notStartsWith":
        ok = !s.startsWith(String(want));
        break;
      case "endsWith":
        ok = s.endsWith(String(want));
        break;
      case "notEndsWith":
        ok = !s.endsWith(String(want));
        break;
      case "gt":
        ok = value !== null && value !== undefined && order(want) > 0;
        break;
      case "gte":
        ok = value !== null && value !== undefined && order(want) >= 0;
        break;
      case "lt":
        ok = value !== null && value !== undefined && order(want) < 0;
        break;
      case "lte":
        ok = value !== null && value !== undefined && order(want) <= 0;
        break;
      case "null":
        ok = (value === null || value === undefined) === want;
        break;
      default:
        throw unsupported(`the comparator ${op} (${where})`);
    }
    if (!ok) return false;
  }
  return true;
}

type ConnArgs = { first?: unknown; last?: unknown; after?: unknown; before?: unknown; orderBy?: unknown };

function paginate<T extends Base>(items: T[], a: ConnArgs, keepOrder = false) {
  for (const k of ["first", "last"] as const) {
    const n = a[k];
    if (typeof n === "number" && n < 0) throw inputError(`${k} must not be less than 0`);
    if (typeof n === "number" && n > 250) throw inputError(`${k} must not be greater than 250`);
  }
  const key = a.orderBy === "updatedAt" ? "updatedAt" : "createdAt";
  let list = keepOrder && !a.orderBy ? [...items] : [...items].sort((x, y) => y[key].localeCompare(x[key]) || y.id.localeCompare(x.id));
  if (typeof a.after === "string") {
    const i = list.findIndex((n) => n.id === a.after);
    list = i >= 0 ? list.slice(i + 1) : [];
  }
  if (typeof a.before === "string") {
    const i = list.findIndex((n) => n.id === a.before);
    list = i >= 0 ? list.slice(0, i) : [];
  }
  let hasNextPage = false;
  let hasPreviousPage = false;
  const first = typeof a.first === "number" ? a.first : typeof a.last === "number" ? undefined : 50;
  if (first !== undefined && list.length > first) {
    list = list.slice(0, first);
    hasNextPage = true;
  }
  if (typeof a.last === "number" && list.length > a.last) {
    list = list.slice(list.length - a.last);
    hasPreviousPage = true;
  }
  return {
    nodes: list,
    edges: list.map((node) => ({ node, cursor: node.id })),
    pageInfo: { hasNextPage, hasPreviousPage, startCursor: list[0]?.id ?? null, endCursor: list[list.length - 1]?.id ?? null },
  };
}

// ---------------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------------

export function createLinearSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  let requests = 0;
  const authorize = opts.authorize ?? defaultAuthorize;
  const now = () => new Date().toISOString();
  const nextId = () => uuidFor(state.seq++);

  // --- lookups
  const userById = (id: string | null) => (id ? (state.users.find((u) => u.id === id) ?? null) : null);
  const teamOf = (i: { teamId: string }) => state.teams.find((t) => t.id === i.teamId)!;
  const stateById = (id: string) => state.states.find((s) => s.id === id) ?? null;
  const identifier = (i: IssueRec) => `${teamOf(i).key}-${i.number}`;
  const issueByRef = (ref: unknown): IssueRec | null => {
    if (typeof ref !== "string") return null;
    const byId = state.issues.find((i) => i.id === ref);
    if (byId) return byId;
    const m = /^([A-Za-z0-9]+)-(\d+)$/.exec(ref);
    if (!m) return null;
    const team = state.teams.find((t) => t.key.toUpperCase() === m[1]!.toUpperCase());
    return (team && state.issues.find((i) => i.teamId === team.id && i.number === Number(m[2]))) || null;
  };
  const issueUrl = (i: IssueRec) => `https://linear.app/${state.org.urlKey}/issue/${identifier(i)}/${slugify(i.title)}`;
  const projectStatus = (p: ProjectRec) => state.statuses.find((s) => s.id === p.statusId)!;
  const projectProgress = (p: ProjectRec) => {
    const mine = state.issues.filter((i) => i.projectId === p.id && stateById(i.stateId)?.type !== "canceled");
    if (!mine.length) return 0;
    return Math.round((mine.filter((i) => stateById(i.stateId)?.type === "completed").length / mine.length) * 1000) / 1000;
  };

  // --- filters, one predicate table per object type
  const specs: Record<string, Record<string, Pred>> = {};
  function matches(type: string, rec: unknown, filter: unknown): boolean {
    if (!filter || typeof filter !== "object") return true;
    for (const [k, v] of Object.entries(filter as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      if (k === "and") {
        if (!(v as unknown[]).every((f) => matches(type, rec, f))) return false;
        continue;
      }
      if (k === "or") {
        if (!(v as unknown[]).some((f) => matches(type, rec, f))) return false;
        continue;
      }
      const p = specs[type]?.[k];
      if (!p) throw unsupported(`filtering ${type} by ${k}`);
      if (!(p as (r: unknown, c: Record<string, unknown>) => boolean)(rec, v as Record<string, unknown>)) return false;
    }
    return true;
  }
  const cmp =
    <T>(type: string, field: string, get: (r: T) => unknown): Pred =>
    (r, c) =>
      compare(get(r as T), c, `${type}.${field}`);
  const rel =
    <T>(type: string, get: (r: T) => unknown): Pred =>
    (r, c) => {
      const target = get(r as T);
      const { null: isNull, ...rest } = c;
      if (typeof isNull === "boolean" && (target === null || target === undefined) !== isNull) return false;
      if (!Object.keys(rest).length) return true;
      return target !== null && target !== undefined && matches(type, target, rest);
    };
  const collection =
    <T>(type: string, get: (r: T) => unknown[]): Pred =>
    (r, c) => {
      const items = get(r as T);
      for (const [op, want] of Object.entries(c)) {
        if (want === undefined || want === null) continue;
        let ok: boolean;
        if (op === "some") ok = items.some((x) => matches(type, x, want));
        else if (op === "every") ok = items.every((x) => matches(type, x, want));
        else if (op === "length") ok = compare(items.length, want as Record<string, unknown>, `${type} collection length`);
        else if (op === "null") ok = (items.length === 0) === want;
        else if (op === "and") ok = (want as Record<string, unknown>[]).every((f) => collection(type, () => items)(r, f));
        else if (op === "or") ok = (want as Record<string, unknown>[]).some((f) => collection(type, () => items)(r, f));
        else ok = items.some((x) => matches(type, x, { [op]: want }));
        if (!ok) return false;
      }
      return true;
    };
  const dates = <T extends Base>(type: string, ...fields: (keyof T & string)[]) => Object.fromEntries(fields.map((f) => [f, cmp<T>(type, f, (r) => r[f])]));

  specs.User = {
    id: cmp<UserRec>("User", "id", (u) => u.id),
    name: cmp<UserRec>("User", "name", (u) => u.name),
    displayName: cmp<UserRec>("User", "displayName", (u) => u.displayName),
    email: cmp<UserRec>("User", "email", (u) => u.email),
    active: cmp<UserRec>("User", "active", () => true),
    admin: cmp<UserRec>("User", "admin", (u) => u.admin),
    isMe: cmp<UserRec>("User", "isMe", (u) => u.id === state.viewerId),
    ...dates<UserRec>("User", "createdAt", "updatedAt"),
  };
  specs.Team = {
    id: cmp<TeamRec>("Team", "id", (t) => t.id),
    key: cmp<TeamRec>("Team", "key", (t) => t.key),
    name: cmp<TeamRec>("Team", "name", (t) => t.name),
    description: cmp<TeamRec>("Team", "description", (t) => t.description),
    private: cmp<TeamRec>("Team", "private", () => false),
    ...dates<TeamRec>("Team", "createdAt", "updatedAt"),
  };
  specs.WorkflowState = {
    id: cmp<WorkflowStateRec>("WorkflowState", "id", (s) => s.id),
    name: cmp<WorkflowStateRec>("WorkflowState", "name", (s) => s.name),
    type: cmp<WorkflowStateRec>("WorkflowState", "type", (s) => s.type),
    description: cmp<WorkflowStateRec>("WorkflowState", "description", (s) => s.description),
    position: cmp<WorkflowStateRec>("WorkflowState", "position", (s) => s.position),
    team: rel<WorkflowStateRec>("Team", (s) => teamOf(s)),
    ...dates<WorkflowStateRec>("WorkflowState", "createdAt", "updatedAt"),
  };
  specs.IssueLabel = {
    id: cmp<LabelRec>("IssueLabel", "id", (l) => l.id),
    name: cmp<LabelRec>("IssueLabel", "name", (l) => l.name),
    ...dates<LabelRec>("IssueLabel", "createdAt", "updatedAt"),
  };
  specs.ProjectStatus = {
    id: cmp<ProjectStatusRec>("ProjectStatus", "id", (s) => s.id),
    name: cmp<ProjectStatusRec>("ProjectStatus", "name", (s) => s.name),
    type: cmp<ProjectStatusRec>("ProjectStatus", "type", (s) => s.type),
    position: cmp<ProjectStatusRec>("ProjectStatus", "position", (s) => s.position),
    ...dates<ProjectStatusRec>("ProjectStatus", "createdAt", "updatedAt"),
  };
  specs.Project = {
    id: cmp<ProjectRec>("Project", "id", (p) => p.id),
    name: cmp<ProjectRec>("Project", "name", (p) => p.name),
    slugId: cmp<ProjectRec>("Project", "slugId", (p) => p.slugId),
    state: cmp<ProjectRec>("Project", "state", (p) => projectStatus(p).type),
    status: rel<ProjectRec>("ProjectStatus", (p) => projectStatus(p)),
    lead: rel<ProjectRec>("User", (p) => userById(p.leadId)),
    creator: rel<ProjectRec>("User", (p) => userById(p.creatorId)),
    accessibleTeams: collection<ProjectRec>("Team", (p) => state.teams.filter((t) => p.teamIds.includes(t.id))),
    ...dates<ProjectRec>("Project", "createdAt", "updatedAt", "startDate", "targetDate", "startedAt", "completedAt", "canceledAt"),
  };
  specs.Issue = {
    id: cmp<IssueRec>("Issue", "id", (i) => i.id),
    number: cmp<IssueRec>("Issue", "number", (i) => i.number),
    title: cmp<IssueRec>("Issue", "title", (i) => i.title),
    description: cmp<IssueRec>("Issue", "description", (i) => i.description),
    priority: cmp<IssueRec>("Issue", "priority", (i) => i.priority),
    team: rel<IssueRec>("Team", (i) => teamOf(i)),
    state: rel<IssueRec>("WorkflowState", (i) => stateById(i.stateId)),
    assignee: rel<IssueRec>("User", (i) => userById(i.assigneeId)),
    creator: rel<IssueRec>("User", (i) => userById(i.creatorId)),
    project: rel<IssueRec>("Project", (i) => state.projects.find((p) => p.id === i.projectId) ?? null),
    parent: rel<IssueRec>("Issue", (i) => state.issues.find((p) => p.id === i.parentId) ?? null),
    labels: collection<IssueRec>("IssueLabel", (i) => state.labels.filter((l) => i.labelIds.includes(l.id))),
    ...dates<IssueRec>("Issue", "createdAt", "updatedAt", "startedAt", "completedAt", "canceledAt", "dueDate"),
  };

  const filtered = <T>(type: string, items: T[], filter: unknown) => items.filter((x) => matches(type, x, filter));

  // --- schema
  const CONN = { after: "String", before: "String", first: "Int", last: "Int", includeArchived: "Boolean", orderBy: "PaginationOrderBy" };
  const on =
    <T>(fn: (parent: T, args: Args) => unknown): Resolver =>
    (parent, args) =>
      fn(parent as T, args);

  const issueFields: Record<string, OutField> = {
    id: { type: "ID!" },
    identifier: { type: "String!", resolve: on<IssueRec>(identifier) },
    number: { type: "Float!" },
    title: { type: "String!" },
    description: { type: "String" },
    priority: { type: "Float!" },
    priorityLabel: { type: "String!", resolve: on<IssueRec>((i) => PRIORITY_LABELS[i.priority] ?? "No priority") },
    estimate: { type: "Float" },
    dueDate: { type: "TimelessDate" },
    url: { type: "String!", resolve: on<IssueRec>(issueUrl) },
    branchName: { type: "String!", resolve: on<IssueRec>((i) => `${userById(state.viewerId)!.displayName}/${identifier(i).toLowerCase()}-${slugify(i.title)}`) },
    createdAt: { type: "DateTime!" },
    updatedAt: { type: "DateTime!" },
    startedAt: { type: "DateTime" },
    completedAt: { type: "DateTime" },
    canceledAt: { type: "DateTime" },
    archivedAt: { type: "DateTime", resolve: () => null },
    trashed: { type: "Boolean", resolve: () => null },
    labelIds: { type: "[String!]!" },
    state: { type: "WorkflowState!", resolve: on<IssueRec>((i) => stateById(i.stateId)) },
    team: { type: "Team!", resolve: on<IssueRec>(teamOf) },
    assignee: { type: "User", resolve: on<IssueRec>((i) => userById(i.assigneeId)) },
    creator: { type: "User", resolve: on<IssueRec>((i) => userById(i.creatorId)) },
    project: { type: "Project", resolve: on<IssueRec>((i) => state.projects.find((p) => p.id === i.projectId) ?? null) },
    parent: { type: "Issue", resolve: on<IssueRec>((i) => state.issues.find((p) => p.id === i.parentId) ?? null) },
    children: {
      type: "IssueConnection!",
      args: { ...CONN, filter: "IssueFilter" },
      resolve: on<IssueRec>((i, a) => paginate(filtered("Issue", state.issues.filter((c) => c.parentId === i.id), a.filter), a)),
    },
    labels: {
      type: "IssueLabelConnection!",
      args: { ...CONN, filter: "IssueLabelFilter" },
      resolve: on<IssueRec>((i, a) => paginate(filtered("IssueLabel", state.labels.filter((l) => i.labelIds.includes(l.id)), a.filter), a)),
    },
    comments: {
      type: "CommentConnection!",
      args: CONN,
      resolve: on<IssueRec>((i, a) => paginate(state.comments.filter((c) => c.issueId === i.id), a)),
    },
  };

  const connection = (node: string): Record<string, Record<string, OutField>> => ({
    [`${node}Connection`]: { nodes: { type: `[${node}!]!` }, edges: { type: `[${node}Edge!]!` }, pageInfo: { type: "PageInfo!" } },
    [`${node}Edge`]: { node: { type: `${node}!` }, cursor: { type: "String!" } },
  });

  const schema: Schema = {
    Query: {
      viewer: { type: "User!", resolve: () => userById(state.viewerId) },
      organization: { type: "Organization!", resolve: () => state.org },
      users: { type: "UserConnection!", args: { ...CONN, filter: "UserFilter" }, resolve: (_p, a) => paginate(filtered("User", state.users, a.filter), a) },
      teams: { type: "TeamConnection!", args: { ...CONN, filter: "TeamFilter" }, resolve: (_p, a) => paginate(filtered("Team", state.teams, a.filter), a) },
      team: {
        type: "Team!",
        args: { id: "String!" },
        resolve: (_p, a) => found(state.teams.find((t) => t.id === a.id || t.key.toUpperCase() === String(a.id).toUpperCase()), "Team"),
      },
      workflowStates: { type: "WorkflowStateConnection!", args: { ...CONN, filter: "WorkflowStateFilter" }, resolve: (_p, a) => paginate(filtered("WorkflowState", state.states, a.filter), a) },
      issueLabels: { type: "IssueLabelConnection!", args: { ...CONN, filter: "IssueLabelFilter" }, resolve: (_p, a) => paginate(filtered("IssueLabel", state.labels, a.filter), a) },
      projects: { type: "ProjectConnection!", args: { ...CONN, filter: "ProjectFilter" }, resolve: (_p, a) => paginate(filtered("Project", state.projects, a.filter), a) },
      project: {
        type: "Project!",
        args: { id: "String!" },
        resolve: (_p, a) => found(state.projects.find((p) => p.id === a.id || p.slugId === a.id), "Project"),
      },
      issues: { type: "IssueConnection!", args: { ...CONN, filter: "IssueFilter" }, resolve: (_p, a) => paginate(filtered("Issue", state.issues, a.filter), a) },
      issue: { type: "Issue!", args: { id: "String!" }, resolve: (_p, a) => found(issueByRef(a.id), "Issue") },
      searchIssues: {
        type: "IssueSearchPayload!",
        args: { ...CONN, term: "String!", filter: "IssueFilter", includeComments: "Boolean", teamId: "String" },
        resolve: (_p, a) => searchIssues(a),
      },
    },
    Mutation: {
      issueCreate: { type: "IssuePayload!", args: { input: "IssueCreateInput!" }, resolve: (_p, a) => issueCreate(a.input as Record<string, unknown>) },
      issueUpdate: { type: "IssuePayload!", args: { id: "String!", input: "IssueUpdateInput!" }, resolve: (_p, a) => issueUpdate(String(a.id), a.input as Record<string, unknown>) },
      commentCreate: { type: "CommentPayload!", args: { input: "CommentCreateInput!" }, resolve: (_p, a) => commentCreate(a.input as Record<string, unknown>) },
    },
    Organization: { id: { type: "ID!" }, name: { type: "String!" }, urlKey: { type: "String!" }, createdAt: { type: "DateTime!" } },
    User: {
      id: { type: "ID!" },
      name: { type: "String!" },
      displayName: { type: "String!" },
      email: { type: "String!" },
      avatarUrl: { type: "String", resolve: () => null },
      url: { type: "String!", resolve: on<UserRec>((u) => `https://linear.app/${state.org.urlKey}/profiles/${u.displayName}`) },
      active: { type: "Boolean!", resolve: () => true },
      admin: { type: "Boolean!" },
      guest: { type: "Boolean!", resolve: () => false },
      isMe: { type: "Boolean!", resolve: on<UserRec>((u) => u.id === state.viewerId) },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      organization: { type: "Organization!", resolve: () => state.org },
      assignedIssues: {
        type: "IssueConnection!",
        args: { ...CONN, filter: "IssueFilter" },
        resolve: on<UserRec>((u, a) => paginate(filtered("Issue", state.issues.filter((i) => i.assigneeId === u.id), a.filter), a)),
      },
    },
    Team: {
      id: { type: "ID!" },
      key: { type: "String!" },
      name: { type: "String!" },
      description: { type: "String" },
      color: { type: "String" },
      icon: { type: "String" },
      private: { type: "Boolean!", resolve: () => false },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      organization: { type: "Organization!", resolve: () => state.org },
      states: {
        type: "WorkflowStateConnection!",
        args: { ...CONN, filter: "WorkflowStateFilter" },
        resolve: on<TeamRec>((t, a) => paginate(filtered("WorkflowState", state.states.filter((s) => s.teamId === t.id), a.filter), a)),
      },
      issues: {
        type: "IssueConnection!",
        args: { ...CONN, filter: "IssueFilter" },
        resolve: on<TeamRec>((t, a) => paginate(filtered("Issue", state.issues.filter((i) => i.teamId === t.id), a.filter), a)),
      },
    },
    WorkflowState: {
      id: { type: "ID!" },
      name: { type: "String!" },
      type: { type: "String!" },
      color: { type: "String!" },
      position: { type: "Float!" },
      description: { type: "String" },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      team: { type: "Team!", resolve: on<WorkflowStateRec>(teamOf) },
    },
    IssueLabel: {
      id: { type: "ID!" },
      name: { type: "String!" },
      color: { type: "String!" },
      description: { type: "String" },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      team: { type: "Team", resolve: () => null },
    },
    ProjectStatus: { id: { type: "ID!" }, name: { type: "String!" }, type: { type: "ProjectStatusType!" }, color: { type: "String!" }, position: { type: "Float!" } },
    Project: {
      id: { type: "ID!" },
      name: { type: "String!" },
      description: { type: "String!" },
      slugId: { type: "String!" },
      url: { type: "String!", resolve: on<ProjectRec>((p) => `https://linear.app/${state.org.urlKey}/project/${slugify(p.name)}-${p.slugId}`) },
      color: { type: "String!" },
      icon: { type: "String" },
      state: { type: "String!", resolve: on<ProjectRec>((p) => projectStatus(p).type) },
      status: { type: "ProjectStatus!", resolve: on<ProjectRec>(projectStatus) },
      progress: { type: "Float!", resolve: on<ProjectRec>(projectProgress) },
      startDate: { type: "TimelessDate" },
      targetDate: { type: "TimelessDate" },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      startedAt: { type: "DateTime" },
      completedAt: { type: "DateTime" },
      canceledAt: { type: "DateTime" },
      lead: { type: "User", resolve: on<ProjectRec>((p) => userById(p.leadId)) },
      creator: { type: "User", resolve: on<ProjectRec>((p) => userById(p.creatorId)) },
      teams: {
        type: "TeamConnection!",
        args: { ...CONN, filter: "TeamFilter" },
        resolve: on<ProjectRec>((p, a) => paginate(filtered("Team", state.teams.filter((t) => p.teamIds.includes(t.id)), a.filter), a)),
      },
      issues: {
        type: "IssueConnection!",
        args: { ...CONN, filter: "IssueFilter" },
        resolve: on<ProjectRec>((p, a) => paginate(filtered("Issue", state.issues.filter((i) => i.projectId === p.id), a.filter), a)),
      },
    },
    Issue: issueFields,
    IssueSearchResult: { ...issueFields, metadata: { type: "JSONObject!", resolve: () => ({}) } },
    Comment: {
      id: { type: "ID!" },
      body: { type: "String!" },
      url: { type: "String!", resolve: on<CommentRec>((c) => `${issueUrl(issueByRef(c.issueId)!)}#comment-${c.id.slice(0, 8)}`) },
      createdAt: { type: "DateTime!" },
      updatedAt: { type: "DateTime!" },
      editedAt: { type: "DateTime" },
      user: { type: "User", resolve: on<CommentRec>((c) => userById(c.userId)) },
      issue: { type: "Issue", resolve: on<CommentRec>((c) => issueByRef(c.issueId)) },
      parent: { type: "Comment", resolve: on<CommentRec>((c) => state.comments.find((p) => p.id === c.parentId) ?? null) },
    },
    PageInfo: { hasNextPage: { type: "Boolean!" }, hasPreviousPage: { type: "Boolean!" }, startCursor: { type: "String" }, endCursor: { type: "String" } },
    IssuePayload: { success: { type: "Boolean!" }, lastSyncId: { type: "Float!" }, issue: { type: "Issue" } },
    CommentPayload: { success: { type: "Boolean!" }, lastSyncId: { type: "Float!" }, comment: { type: "Comment!" } },
    IssueSearchPayload: { nodes: { type: "[IssueSearchResult!]!" }, edges: { type: "[IssueSearchResultEdge!]!" }, pageInfo: { type: "PageInfo!" }, totalCount: { type: "Float!" } },
    IssueSearchResultEdge: { node: { type: "IssueSearchResult!" }, cursor: { type: "String!" } },
    ...connection("User"),
    ...connection("Team"),
    ...connection("WorkflowState"),
    ...connection("IssueLabel"),
    ...connection("Project"),
    ...connection("Issue"),
    ...connection("Comment"),
  };

  // --- search: every word must appear in the identifier, title or description (or a comment)
  function searchIssues(a: Args) {
    const words = String(a.term ?? "").toLowerCase().split(/\s+/).filter(Boolean);
    let pool = filtered("Issue", state.issues, a.filter);
    if (typeof a.teamId === "string") pool = pool.filter((i) => i.teamId === a.teamId);
    const ranked = pool
      .map((i) => {
        const id = identifier(i).toLowerCase();
        const title = i.title.toLowerCase();
        const body = (i.description ?? "").toLowerCase();
        const comments = a.includeComments ? state.comments.filter((c) => c.issueId === i.id).map((c) => c.body.toLowerCase()).join("\n") : "";
        let score = 0;
        for (const w of words) {
          if (id === w) score += 100;
          else if (title.includes(w)) score += 10;
          else if (body.includes(w)) score += 3;
          else if (comments.includes(w)) score += 1;
          else return null;
        }
        return { i, score };
      })
      .filter((x): x is { i: IssueRec; score: number } => x !== null && words.length > 0)
      .sort((x, y) => y.score - x.score || y.i.createdAt.localeCompare(x.i.createdAt))
      .map((x) => x.i);
    return { ...paginate(ranked, a, true), totalCount: ranked.length };
  }

  // --- mutations
  const refuseUnsupported = (input: Record<string, unknown>, supported: string[], type: string) => {
    for (const [k, v] of Object.entries(input)) if (v !== null && v !== undefined && !supported.includes(k)) throw unsupported(`${type}.${k}`);
  };
  const checkPriority = (p: unknown) => {
    if (typeof p !== "number") return;
    if (p < 0) throw inputError("priority must not be less than 0");
    if (p > 4) throw inputError("priority must not be greater than 4");
  };
  const checkTitle = (title: unknown) => {
    if (typeof title !== "string" || !title.trim()) throw inputError("title should not be empty");
    if (title.length > 255) throw inputError("title must be shorter than or equal to 255 characters");
  };
  const resolveState = (stateId: unknown, team: TeamRec): WorkflowStateRec => {
    if (!isUuid(stateId)) throw inputError("stateId must be a UUID.");
    const st = stateById(stateId);
    if (!st) throw entityNotFound("WorkflowState");
    if (st.teamId !== team.id) throw inputError("The workflow state does not belong to the issue's team.", "Invalid state");
    return st;
  };
  const resolveUser = (id: unknown) => {
    if (id === null) return null;
    if (!isUuid(id)) throw inputError("assigneeId must be a UUID.");
    const u = userById(id);
    if (!u) throw entityNotFound("User");
    return u.id;
  };
  const resolveLabels = (ids: unknown) =>
    (ids as string[]).map((id) => {
      const l = state.labels.find((x) => x.id === id);
      if (!l) throw entityNotFound("IssueLabel");
      return l.id;
    });
  const resolveProject = (id: unknown) => {
    if (id === null) return null;
    const p = state.projects.find((x) => x.id === id);
    if (!p) throw entityNotFound("Project");
    return p.id;
  };
  const resolveParent = (id: unknown) => {
    if (id === null) return null;
    const p = issueByRef(id);
    if (!p) throw entityNotFound("Issue");
    return p.id;
  };
  const moveTo = (issue: IssueRec, st: WorkflowStateRec, at: string) => {
    if (issue.stateId === st.id) return;
    issue.stateId = st.id;
    if ((st.type === "started" || st.type === "completed") && !issue.startedAt) issue.startedAt = at;
    issue.completedAt = st.type === "completed" ? at : null;
    issue.canceledAt = st.type === "canceled" ? at : null;
  };

  function issueCreate(input: Record<string, unknown>) {
    refuseUnsupported(input, ["teamId", "title", "description", "priority", "stateId", "assigneeId", "labelIds", "projectId", "parentId", "dueDate", "estimate", "id", "createdAt"], "IssueCreateInput");
    if (!isUuid(input.teamId)) throw inputError("teamId must be a UUID.");
    const team = state.teams.find((t) => t.id === input.teamId);
    if (!team) throw entityNotFound("Team");
    checkTitle(input.title);
    checkPriority(input.priority);
    if (input.id !== undefined && input.id !== null) {
      if (!isUuid(input.id)) throw inputError("id must be a UUID.");
      if (state.issues.some((i) => i.id === input.id)) throw inputError("An issue with this id already exists.", "Conflict");
    }
    const st =
      input.stateId !== undefined && input.stateId !== null
        ? resolveState(input.stateId, team)
        : state.states.filter((s) => s.teamId === team.id && s.type === "backlog").sort((a, b) => a.position - b.position)[0]!;
    const at = typeof input.createdAt === "string" ? new Date(input.createdAt).toISOString() : now();
    const issue: IssueRec = {
      id: (input.id as string | undefined) ?? nextId(),
      teamId: team.id,
      number: Math.max(0, ...state.issues.filter((i) => i.teamId === team.id).map((i) => i.number)) + 1,
      title: (input.title as string).trim(),
      description: (input.description as string | undefined) ?? null,
      priority: (input.priority as number | undefined) ?? 0,
      estimate: (input.estimate as number | undefined) ?? null,
      stateId: st.id,
      assigneeId: input.assigneeId !== undefined ? resolveUser(input.assigneeId) : null,
      creatorId: state.viewerId,
      projectId: input.projectId !== undefined ? resolveProject(input.projectId) : null,
      parentId: input.parentId !== undefined ? resolveParent(input.parentId) : null,
      labelIds: input.labelIds ? resolveLabels(input.labelIds) : [],
      dueDate: (input.dueDate as string | undefined) ?? null,
      createdAt: at,
      updatedAt: at,
      startedAt: st.type === "started" || st.type === "completed" ? at : null,
      completedAt: st.type === "completed" ? at : null,
      canceledAt: st.type === "canceled" ? at : null,
    };
    state.issues.push(issue);
    return { success: true, lastSyncId: ++state.lastSyncId, issue };
  }

  function issueUpdate(id: string, input: Record<string, unknown>) {
    const issue = issueByRef(id);
    if (!issue) throw entityNotFound("Issue");
    refuseUnsupported(input, ["title", "description", "priority", "stateId", "assigneeId", "labelIds", "addedLabelIds", "removedLabelIds", "projectId", "parentId", "dueDate", "estimate"], "IssueUpdateInput");
    if (input.title !== undefined) checkTitle(input.title);
    checkPriority(input.priority);
    const team = teamOf(issue);
    // Resolve everything first so a failed reference leaves the issue untouched.
    const st = input.stateId !== undefined && input.stateId !== null ? resolveState(input.stateId, team) : null;
    const assigneeId = input.assigneeId !== undefined ? resolveUser(input.assigneeId) : undefined;
    const projectId = input.projectId !== undefined ? resolveProject(input.projectId) : undefined;
    const parentId = input.parentId !== undefined ? resolveParent(input.parentId) : undefined;
    if (parentId === issue.id) throw inputError("An issue cannot be its own parent.");
    let labelIds = input.labelIds ? resolveLabels(input.labelIds) : [...issue.labelIds];
    if (input.addedLabelIds) labelIds = [...new Set([...labelIds, ...resolveLabels(input.addedLabelIds)])];
    if (input.removedLabelIds) {
      const removed = new Set(resolveLabels(input.removedLabelIds));
      labelIds = labelIds.filter((l) => !removed.has(l));
    }
    const at = now();
    if (typeof input.title === "string") issue.title = input.title.trim();
    if (input.description !== undefined) issue.description = (input.description as string | null) ?? null;
    if (typeof input.priority === "number") issue.priority = input.priority;
    if (input.estimate !== undefined) issue.estimate = (input.estimate as number | null) ?? null;
    if (input.dueDate !== undefined) issue.dueDate = (input.dueDate as string | null) ?? null;
    if (assigneeId !== undefined) issue.assigneeId = assigneeId;
    if (projectId !== undefined) issue.projectId = projectId;
    if (parentId !== undefined) issue.parentId = parentId;
    issue.labelIds = labelIds;
    if (st) moveTo(issue, st, at);
    issue.updatedAt = at;
    return { success: true, lastSyncId: ++state.lastSyncId, issue };
  }

  function commentCreate(input: Record<string, unknown>) {
    refuseUnsupported(input, ["issueId", "body", "parentId", "id", "createdAt"], "CommentCreateInput");
    if (input.issueId === undefined || input.issueId === null) throw inputError("issueId should not be empty");
    if (typeof input.body !== "string" || !input.body.trim()) throw inputError("body should not be empty");
    const issue = issueByRef(input.issueId);
    if (!issue) throw entityNotFound("Issue");
    let parentId: string | null = null;
    if (input.parentId !== undefined && input.parentId !== null) {
      const parent = state.comments.find((c) => c.id === input.parentId && c.issueId === issue.id);
      if (!parent) throw entityNotFound("Comment");
      parentId = parent.id;
    }
    if (input.id !== undefined && input.id !== null && !isUuid(input.id)) throw inputError("id must be a UUID.");
    const at = typeof input.createdAt === "string" ? new Date(input.createdAt).toISOString() : now();
    const comment: CommentRec = {
      id: (input.id as string | undefined) ?? nextId(),
      issueId: issue.id,
      userId: state.viewerId,
      parentId,
      body: input.body,
      editedAt: null,
      createdAt: at,
      updatedAt: at,
    };
    state.comments.push(comment);
    return { success: true, lastSyncId: ++state.lastSyncId, comment };
  }

  // --- HTTP
  const badRequest = (message: string) => json(400, { errors: [{ message, extensions: { type: "graphql error", code: "BAD_REQUEST", userError: true } }] });

  function graphql(body: unknown): SandboxResponse {
    if (!body || typeof body !== "object" || Array.isArray(body) || !Object.keys(body).length) {
      return badRequest("POST body missing, invalid Content-Type, or JSON object has no keys.");
    }
    const { query, variables, operationName } = body as Record<string, unknown>;
    if (typeof query !== "string" || !query.trim()) return badRequest("GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.");
    if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) {
      return badRequest("`variables` in a POST body should be provided as an object.");
    }
    if (operationName !== undefined && operationName !== null && typeof operationName !== "string") {
      return badRequest("`operationName` in a POST body must be a string if provided.");
    }
    let doc: Doc;
    try {
      doc = parse(query);
    } catch (e) {
      if (e instanceof GqlError) return json(400, { errors: [e.body()] });
      throw e;
    }
    let op: Operation | undefined;
    if (typeof operationName === "string") {
      op = doc.operations.find((o) => o.name === operationName);
      if (!op) return json(400, { errors: [graphqlError(`Unknown operation named "${operationName}".`, "OPERATION_RESOLUTION_FAILURE").body()] });
    } else if (doc.operations.length === 1) {
      op = doc.operations[0];
    } else {
      return json(400, { errors: [graphqlError("Must provide operation name if query contains multiple operations.", "OPERATION_RESOLUTION_FAILURE").body()] });
    }
    const invalid = validate(schema, doc, op!);
    if (invalid.length) return json(400, { errors: invalid });
    const coerced = coerceVariables(op!, (variables as Record<string, unknown> | null | undefined) ?? {});
    if (coerced.errors.length) return json(400, { errors: coerced.errors });
    const { data, errors } = execute(schema, doc, op!, coerced.values);
    return json(200, errors.length ? { errors, data } : { data });
  }

  const router = new SandboxRouter().on("POST", "/graphql", (req) => graphql(req.body));

  /** Linear's rate-limit headers (https://linear.app/developers/rate-limiting); resets are epoch milliseconds. */
  const rateHeaders = (): Record<string, string> => {
    const reset = String(Date.now() + 3_600_000);
    return {
      "x-ratelimit-requests-limit": "5000",
      "x-ratelimit-requests-remaining": String(Math.max(0, 5000 - requests)),
      "x-ratelimit-requests-reset": reset,
      "x-ratelimit-complexity-limit": "3000000",
      "x-ratelimit-complexity-remaining": String(Math.max(0, 3_000_000 - requests * 100)),
      "x-ratelimit-complexity-reset": reset,
    };
  };

  /** OAuth tokens come as `Bearer <token>`; personal API keys (lin_api_…) are sent bare. */
  const credentialOf = (req: SandboxRequest) => {
    const b = bearer(req);
    if (b) return b;
    const raw = (req.headers.authorization ?? "").trim();
    return raw && !/\s/.test(raw) ? raw : null;
  };

  return {
    slug: "linear",
    reset: () => {
      state = seed();
      requests = 0;
    },
    async handle(req): Promise<SandboxResponse> {
      requests++;
      const credential = credentialOf(req);
      if (!credential || !(await authorize(credential, req))) return json(401, AUTH_ERROR, rateHeaders());
      const out = (await router.dispatch(req)) ?? json(404, { errors: [{ message: "Not Found", extensions: { type: "unknown", code: "NOT_FOUND", userError: true } }] });
      return { ...out, headers: { ...rateHeaders(), ...(out.headers ?? {}) } };
    },
  };
}
