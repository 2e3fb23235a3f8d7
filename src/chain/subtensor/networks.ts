/** Named subtensor endpoints. */

/** Public endpoints by network name (`--network`). */
export const NETWORKS: Record<string, string> = {
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443",
  local: "ws://127.0.0.1:9944",
};

/** The websocket URL for a network name or a ws:// / wss:// URL. */
export function endpointFor(network: string): string {
  if (network in NETWORKS) return NETWORKS[network];
  if (/^wss?:\/\//.test(network)) return network;
  throw new RangeError(`unknown network ${JSON.stringify(network)}: use finney, test, local or a ws:// URL`);
}
