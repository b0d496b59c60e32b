/**
 * Ticklake's command line: `deno task <command>` runs `main.ts <command>`; every command takes
 * `--help`. Exit codes: 0 done, 1 nothing could be done, 2 bad input. The pipeline commands live in
 * `pipelines/cli/`; the ones that serve the dashboard are here, since `pipelines` does not import `web`.
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { SqlError } from "./lake/query.ts";
import { openStore } from "./lake/open_store.ts";
import { LockLostError, LockWaitTimeoutError, type ObjectStore, StoreError } from "./lake/store.ts";
import { SymbolError } from "./lake/symbol.ts";
import { RunUnderWayError } from "./lake/runs.ts";
import { createLogger } from "./pipelines/log.ts";
import { createEngine } from "./pipelines/jobs/engine_choice.ts";
import { auditDailyBars } from "./pipelines/jobs/audit_daily.ts";
import { currentProviderHealth } from "./pipelines/jobs/provider_state.ts";
import { type Command, type Flags, lakeOption, numberFlag, withLake, withOpenLake } from "./pipelines/cli/command.ts";
import { backfill, fundamentals, ingest, ingestMinute, symbols } from "./pipelines/cli/ingest_commands.ts";
import { indicators, rebuild } from "./pipelines/cli/rebuild_commands.ts";
import { query } from "./pipelines/cli/query_command.ts";
import { audit, reconcile } from "./pipelines/cli/check_commands.ts";
import { providers, runs, status } from "./pipelines/cli/info_commands.ts";

const replay: Command = {
  summary: "Run the offline provider replay server (Yahoo, Nasdaq Trader, SEC, Alpha Vantage, Alpaca formats)",
  usage: "replay [--port 9000]",
  options: { port: { type: "string", help: "port (default 9000)" } },
  async run(flags) {
    const { startReplayServer } = await import("./pipelines/replay/server.ts");
    const s = await startReplayServer({ port: numberFlag(flags, "port", { integer: true }) ?? 9000 });
    console.log(`replay server on ${s.url}`);
    await new Promise(() => {});
    return 0;
  },
};

const serve: Command = {
  summary: "Serve the dashboard over the configured lake",
  usage: "serve [--port 8000] [--lake DIR|s3://...]",
  options: { port: { type: "string", help: "port (default $PORT or 8000)" }, lake: lakeOption },
  async run(flags, config) {
    config = withLake(config, flags);
    const port = numberFlag(flags, "port", { integer: true }) ?? config.port;
    await serveDashboard(openStore(config.lake), port, config);
    console.log(`dashboard on http://localhost:${port}/`);
    await new Promise(() => {});
    return 0;
  },
};

const demo: Command = {
  summary: "Run the full offline pipeline into the lake, then serve the dashboard",
  usage: "demo [--from 2015-01-02] [--lake DIR]",
  options: { from: { type: "string", help: "first date to ingest" }, lake: lakeOption },
  async run(flags, config) {
    config = withLake(config, flags);
    const { runDemoPipeline } = await import("./pipelines/jobs/demo.ts");
    const log = createLogger();
    const env = {
      ...Deno.env.toObject(),
      TICKLAKE_LAKE: flags.lake ? String(flags.lake) : (Deno.env.get("TICKLAKE_LAKE") ?? "./data"),
    };
    const demo = await runDemoPipeline({
      env,
      engine: await createEngine("wasm"),
      from: flags.from as string | undefined,
      log,
    });
    const i = demo.ingest, m = demo.minutes, f = demo.fundamentals;
    const counts = await summarizeLake(demo.config);
    console.log([
      "",
      `Ticklake demo: lake ${demo.store.url}`,
      `  symbol master: ${demo.symbols.active} active, ${demo.symbols.delisted} delisted symbols`,
      `  daily bars: ${i.symbols_ok}/${i.symbols_total} symbols, ${i.bars_fetched} bars fetched, ${i.rows_inserted} inserted, ${i.rows_updated} updated, ${i.rows_unchanged} unchanged, ${i.rows_rejected} rejected`,
      `  curated daily_bars: ${counts.bars} rows (${counts.real} real, ${counts.simulated} simulated), ${counts.first} .. ${counts.last}`,
      `  audit (deno task audit): ${counts.audit.errors} errors, ${counts.audit.warnings} warnings`,
      `  minute bars (last week): ${m.symbols_ok}/${m.symbols_total} symbols, ${m.bars_fetched} bars in ${m.pages} pages, ${m.rows_inserted} inserted, ${m.rows_unchanged} unchanged`,
      `  fundamentals (SEC company facts; MUR recorded, the rest simulated): ${f.symbols_ok}/${f.symbols_total} companies, ${f.facts_fetched} facts, ${f.rows_inserted} inserted, ${f.rows_unchanged} unchanged`,
    ].join("\n"));
    await serveDashboard(demo.store, config.port, config);
    console.log(`\n  dashboard: http://localhost:${config.port}/\n`);
    await new Promise(() => {});
    return 0;
  },
};

const commands: Record<string, Command> = {
  ingest,
  rebuild,
  query,
  runs,
  status,
  symbols,
  replay,
  serve,
  demo,
  "ingest-minute": ingestMinute,
  fundamentals,
  indicators,
  audit,
  reconcile,
  providers,
  backfill,
};

/** The dashboard over a store, with the provider health the last runs persisted. */
async function serveDashboard(store: ObjectStore, port: number, { token, net }: Config) {
  const { serve } = await import("./web/server.ts");
  serve({ store, port, token, providerHealth: async () => (await currentProviderHealth(store, net))?.providers ?? [] });
}

async function summarizeLake(config: Config) {
  return await withOpenLake(config, async (lake, store) => {
    const [r] = await lake.sql<{ bars: number; real: number; simulated: number; first: string; last: string }>(
      `SELECT count(*)::INT AS bars, count(*) FILTER (source <> 'simulated')::INT AS real,
        count(*) FILTER (source = 'simulated')::INT AS simulated, min(date)::VARCHAR AS first, max(date)::VARCHAR AS last
       FROM daily_bars`,
    );
    const audit = await auditDailyBars({ lake, store, examples: 0 });
    return { ...r, audit };
  });
}

/** Two columns, the first as wide as its longest entry. */
function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

function helpText(c: Command): string {
  const opts = columns([
    ...Object.entries(c.options).map(([k, o]): [string, string] => [`--${k}`, o.help]),
    ["--help", "show this help"],
  ]);
  return [`${c.summary}\n`, `usage: deno task ${c.usage}\n`, ...opts].join("\n");
}

function mainHelp(): string {
  return [
    "Ticklake: a self-hosted US-equities market data lake\n",
    "commands:",
    ...columns(Object.entries(commands).map(([k, c]) => [k, c.summary])),
    "\n`deno task <command> --help` explains a command's flags.",
  ].join("\n");
}

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "help") {
    console.log(mainHelp());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`Unknown command '${name}'.\n\n${mainHelp()}`);
    return 2;
  }
  let flags: Flags;
  try {
    const options = Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, { type: o.type }]));
    flags = parseArgs({ args: rest, options: { ...options, help: { type: "boolean" } }, strict: true }).values as Flags;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${helpText(cmd)}`);
    return 2;
  }
  if (flags.help) {
    console.log(helpText(cmd));
    return 0;
  }
  try {
    return await cmd.run(flags, loadConfig());
  } catch (e) {
    const failed = expectedFailure(e);
    if (failed === undefined) throw e;
    console.error(`error: ${failed.message}`);
    return failed.code;
  }
}

/**
 * The message and exit code of a failure the user can act on (bad input 2, nothing done 1), or
 * undefined for a defect, which goes out with its stack.
 */
export function expectedFailure(e: unknown): { message: string; code: number } | undefined {
  if (
    e instanceof ConfigError || e instanceof RangeError || e instanceof SymbolError || e instanceof TypeError ||
    e instanceof SqlError
  ) {
    return { message: e.message, code: 2 };
  }
  if (e instanceof LockLostError) {
    // A stalled S3 holder: its writes to the table were refused, so nothing it wrote mixes with the next holder's.
    return { message: `${e.message}; run the same command again once the table's current holder is done`, code: 1 };
  }
  if (e instanceof RunUnderWayError) return { message: e.message, code: 75 };
  if (e instanceof LockWaitTimeoutError) {
    // 75 is sysexits' EX_TEMPFAIL: a scheduler may simply try again later.
    return {
      message: `${e.message}; the table was not changed: run it again later, or allow longer with --lock-wait`,
      code: 75,
    };
  }
  // A store failure may reach here wrapped by the job that met it.
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if (c instanceof StoreError) return { message: c.message, code: 1 };
  }
  if (e instanceof Deno.errors.AddrInUse) {
    return { message: `${e.message}: set PORT (or --port) to a free port`, code: 1 };
  }
  return undefined;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
