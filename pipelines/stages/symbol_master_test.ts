import assert from "node:assert/strict";
import type { ListingStatusRow } from "../sources/alphavantage/client.ts";
import type { ListingRow } from "../sources/nasdaqtrader/listing.ts";
import { latestListings, mergeSymbolMaster } from "./symbol_master.ts";

const av = (symbol: string, ipo: string | null, delisting: string | null, name = `${symbol} Inc`, type = "Stock") =>
  ({
    symbol,
    name,
    exchange: "NYSE",
    assetType: type,
    ipoDate: ipo,
    delistingDate: delisting,
    status: delisting ? "Delisted" : "Active",
  }) satisfies ListingStatusRow;

const listing = (symbol: string): ListingRow => ({
  symbol,
  name: `${symbol} Corp`,
  exchange: "NASDAQ",
  asset_type: "stock",
  nasdaq_symbol: symbol,
  cqs_symbol: null,
});

Deno.test("latestListings(): a listed security wins a reused ticker, then the latest delisting", () => {
  const status = latestListings([
    { rows: [av("REUSE", "2019-05-01", null), av("BRK-B", "1996-05-09", null)], rawRef: "raw/active" },
    {
      rows: [
        av("REUSE", "1990-01-02", "2001-03-01"),
        av("OLD", "1980-01-02", "1999-06-30"),
        av("OLD", "2003-01-02", "2012-09-28"),
        av("OLD", "1970-01-02", "1985-01-02"),
        av("../x", null, "2010-01-04"),
      ],
      rawRef: "raw/delisted",
    },
  ]);
  assert.deepEqual(status.get("REUSE"), {
    name: "REUSE Inc",
    exchange: "NYSE",
    asset_type: "stock",
    ipo: "2019-05-01",
    delisting: null,
    raw_ref: "raw/active",
  });
  assert.deepEqual([status.get("OLD")?.ipo, status.get("OLD")?.delisting], ["2003-01-02", "2012-09-28"]);
  assert.ok(status.has("BRK.B"), "Alpha Vantage's spelling is made canonical");
  assert.deepEqual([...status.keys()].sort(), ["BRK.B", "OLD", "REUSE"], "a symbol with no canonical form is left out");
});

Deno.test("mergeSymbolMaster() adds delisted stocks and ETFs the directory never showed, once", () => {
  const status = latestListings([{
    rows: [
      av("GONE", "2001-02-01", "2015-07-01"),
      av("FUND", null, "2012-01-03", "Some Index Fund", "ETF"),
      av("GONEW", "2011-01-03", "2013-01-02", "Gone Corp Warrants"),
      av("PFD-P-A", "2011-01-03", "2013-01-02", "Some Bank"),
      av("AAPL", "1980-12-12", "1985-01-02", "An earlier AAPL"),
    ],
    rawRef: "raw/delisted",
  }]);
  const first = mergeSymbolMaster(
    [],
    [listing("AAPL")],
    new Map([["GONE", "0000000042"]]),
    "2026-01-05",
    "raw/dir",
    status,
  );
  assert.equal(first.addedDelisted, 2, "warrants and preferreds are left out");
  const gone = first.rows.find((r) => r.symbol === "GONE")!;
  assert.deepEqual(
    [gone.status, gone.first_seen, gone.last_seen, gone.ipo_date, gone.delisting_date, gone.cik, gone.raw_ref],
    ["delisted", "2001-02-01", "2015-07-01", "2001-02-01", "2015-07-01", "0000000042", "raw/delisted"],
  );
  const fund = first.rows.find((r) => r.symbol === "FUND")!;
  assert.deepEqual([fund.asset_type, fund.first_seen, fund.yahoo_symbol], ["etf", "2012-01-03", "FUND"]);
  const aapl = first.rows.find((r) => r.symbol === "AAPL")!;
  assert.deepEqual([aapl.status, aapl.ipo_date], ["active", null], "an earlier security's IPO is not the listed one's");

  const again = mergeSymbolMaster(first.rows, [listing("AAPL")], new Map(), "2026-01-06", "raw/dir2", status);
  assert.equal(again.addedDelisted, 0);
  assert.equal(again.rows.length, first.rows.length, "a rerun adds no row");
});

Deno.test("mergeSymbolMaster() takes a delisting date only when it follows the last listed day", () => {
  const start = mergeSymbolMaster([], [listing("XYZ"), listing("QRS")], new Map(), "2026-01-05", "raw/a");
  const status = latestListings([{
    rows: [av("XYZ", "1990-01-02", "2001-03-01"), av("QRS", "2020-01-02", "2026-01-06")],
    rawRef: "raw/delisted",
  }]);
  const gone = mergeSymbolMaster(start.rows, [], new Map(), "2026-01-07", "raw/b", status);
  const by = new Map(gone.rows.map((r) => [r.symbol, r]));
  assert.deepEqual([by.get("XYZ")?.status, by.get("XYZ")?.delisting_date], ["delisted", null]);
  assert.deepEqual([by.get("QRS")?.status, by.get("QRS")?.delisting_date], ["delisted", "2026-01-06"]);
});

Deno.test("mergeSymbolMaster(): a ticker back after a recorded delisting is a new security", () => {
  const old = mergeSymbolMaster([], [listing("ABC")], new Map([["ABC", "0000000001"]]), "2020-01-02", "raw/a").rows;
  const delisted = mergeSymbolMaster(
    old,
    [],
    new Map(),
    "2021-01-04",
    "raw/b",
    latestListings([{
      rows: [av("ABC", "2010-01-04", "2021-01-03")],
      rawRef: "raw/d",
    }]),
  ).rows;
  const back = mergeSymbolMaster(delisted, [listing("ABC")], new Map(), "2024-06-03", "raw/c");
  const abc = back.rows.find((r) => r.symbol === "ABC")!;
  assert.equal(back.relisted, 1);
  assert.deepEqual(
    [abc.status, abc.first_seen, abc.cik, abc.ipo_date, abc.delisting_date],
    ["active", "2024-06-03", null, null, null],
  );

  const blip = mergeSymbolMaster(old, [], new Map(), "2021-01-04", "raw/b").rows;
  const kept = mergeSymbolMaster(blip, [listing("ABC")], new Map(), "2021-01-05", "raw/c").rows[0];
  assert.deepEqual([kept.first_seen, kept.cik], ["2020-01-02", "0000000001"], "a gap with no delisting keeps history");
});

Deno.test("mergeSymbolMaster() types the rows the directory no longer lists by the current rules", () => {
  // Delisted rows as an older master typed them: an ADR and a partnership's units shut out of the
  // stocks, a Nasdaq SPAC unit and a preferred typed rightly, and an ETF.
  const row = (symbol: string, name: string, asset_type: string, nasdaq: boolean) =>
    mergeSymbolMaster(
      [],
      [{
        symbol,
        name,
        exchange: nasdaq ? "NASDAQ" : "NYSE",
        asset_type: asset_type as ListingRow["asset_type"],
        nasdaq_symbol: nasdaq ? symbol : `${symbol}-`,
        cqs_symbol: nasdaq ? null : symbol,
      }],
      new Map(),
      "2020-01-02",
      "raw/a",
    ).rows[0];
  const previous = [
    row("ADRX", "Old Pharma plc - American Depositary Shares", "preferred", true),
    row("LPX", "Old Midstream L.P. Common Units representing Limited Partner Interests", "unit", false),
    row("SPACU", "Old Acquisition Corp - Units", "unit", true),
    row("OLD.PR.A", "Old Bank 6% Series A", "preferred", false),
    row("FND", "Old Fund Units", "etf", false),
  ];
  // Known only from Alpha Vantage's delisted list, whose -W is "when issued" (its warrants are -WS).
  const avOnly = (symbol: string, name: string) => ({
    ...row(symbol, name, "stock", false),
    cqs_symbol: null,
    nasdaq_symbol: null,
  });
  previous.push(avOnly("WI.W", "When Issued Co When Issued"), avOnly("WT.WS", "Warrant Co Wt"));
  const { rows } = mergeSymbolMaster(previous, [], new Map(), "2024-06-03", "raw/b");
  assert.deepEqual(
    rows.map((r) => [r.symbol, r.status, r.asset_type, r.yahoo_symbol]),
    [
      ["ADRX", "delisted", "stock", "ADRX"],
      ["FND", "delisted", "etf", "FND"],
      ["LPX", "delisted", "stock", "LPX"],
      ["OLD.PR.A", "delisted", "preferred", "OLD-PA"],
      ["SPACU", "delisted", "unit", "SPACU"],
      ["WI.W", "delisted", "other", "WI-WT"],
      ["WT.WS", "delisted", "warrant", "WT-WT"],
    ],
  );
});
