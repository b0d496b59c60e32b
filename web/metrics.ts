/**
 * Request counters and lake bytes served, exposed in Prometheus text format at /metrics.
 * @module
 */
export function createMetrics(now = () => Date.now()) {
  const started = now();
  const requests = new Map<string, number>();
  let lakeBytes = 0;
  return {
    request(route: string, status: number) {
      const k = `${route}\u0000${status}`;
      requests.set(k, (requests.get(k) ?? 0) + 1);
    },
    lakeBytes(n: number) {
      lakeBytes += n;
    },
    get lakeBytesServed() {
      return lakeBytes;
    },
    render(): string {
      const lines = [
        "# HELP ticklake_http_requests_total HTTP requests by route and status.",
        "# TYPE ticklake_http_requests_total counter",
        ...[...requests].map(([k, v]) => {
          const [route, status] = k.split("\u0000");
          return `ticklake_http_requests_total{route="${route}",status="${status}"} ${v}`;
        }),
        "# HELP ticklake_lake_bytes_served_total Bytes of lake objects sent to clients.",
        "# TYPE ticklake_lake_bytes_served_total counter",
        `ticklake_lake_bytes_served_total ${lakeBytes}`,
        "# HELP ticklake_uptime_seconds Seconds since the server started.",
        "# TYPE ticklake_uptime_seconds gauge",
        `ticklake_uptime_seconds ${((now() - started) / 1000).toFixed(1)}`,
      ];
      return lines.join("\n") + "\n";
    },
  };
}
