// npm run cli -- <command> [flags]: the operator's admin CLI.
import { getEnv } from "@/lib/env";
import { readLock } from "@/lib/data-dir-lock";
import { commands, helpText, offlineCommands, parseArgs, runCommand, UsageError, type CommandResult } from "@/lib/cli/commands";
import { sendAdminCommand } from "@/lib/cli/admin-socket";
import { BootError, startRuntime, stopRuntime } from "@/lib/runtime";
import path from "node:path";

function print(result: CommandResult, asJson: boolean) {
  process.stdout.write(`${asJson ? JSON.stringify(result.json) : result.text}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

function fail(message: string, asJson: boolean, code = 2) {
  if (asJson) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
  else process.stderr.write(`error: ${message}\n`);
  process.exitCode = code;
}

async function main() {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    return fail((e as Error).message, false);
  }
  const { command, flags } = parsed;
  const asJson = flags.json === true;
  if (!command || command === "help" || flags.help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const offline = offlineCommands[command];
  if (offline) return print(offline.run(flags), asJson);
  if (!commands[command]) return fail(`unknown command "${command}"\n\n${helpText()}`, asJson);

  const env = getEnv();
  if (env.embedded) {
    // The server owns the PGlite directory: ask it to run the command.
    const lock = readLock(path.resolve(env.LATCHKEY_DATA_DIR));
    if (lock?.role === "server" && lock.adminSocket) {
      const res = await sendAdminCommand(lock.adminSocket, command, flags);
      if ("usage" in res.body) return fail(res.body.usage, asJson, res.status === 400 ? 2 : 1);
      return print(res.body, asJson);
    }
  }
  try {
    const rt = await startRuntime({ role: "cli", bootstrap: false });
    try {
      print(await runCommand(rt, command, flags), asJson);
    } finally {
      await stopRuntime();
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof BootError || (e as Error).name === "DataDirInUseError") return fail((e as Error).message, asJson);
    throw e;
  }
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
