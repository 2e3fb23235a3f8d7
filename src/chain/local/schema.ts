/** The local chain's SQLite schema (WAL mode; every change is one transaction). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subnets (netuid INTEGER PRIMARY KEY, params TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS neurons (
  netuid INTEGER NOT NULL, uid INTEGER NOT NULL, hotkey TEXT NOT NULL, coldkey TEXT NOT NULL,
  block_at_registration INTEGER NOT NULL, last_update INTEGER NOT NULL,
  validator_permit INTEGER NOT NULL DEFAULT 0,
  consensus REAL NOT NULL DEFAULT 0, incentive REAL NOT NULL DEFAULT 0, dividends REAL NOT NULL DEFAULT 0,
  trust REAL NOT NULL DEFAULT 0, validator_trust REAL NOT NULL DEFAULT 0, emission INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (netuid, uid), UNIQUE (netuid, hotkey));
CREATE TABLE IF NOT EXISTS stake (hotkey TEXT PRIMARY KEY, amount INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS weights (netuid INTEGER NOT NULL, uid INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (netuid, uid));
CREATE TABLE IF NOT EXISTS bonds (netuid INTEGER NOT NULL, uid INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (netuid, uid));
CREATE TABLE IF NOT EXISTS commitment_history (netuid INTEGER NOT NULL, hotkey TEXT NOT NULL, block INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (netuid, hotkey, block));
CREATE TABLE IF NOT EXISTS weight_commits (netuid INTEGER NOT NULL, hotkey TEXT NOT NULL, hash TEXT NOT NULL, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS timelocked_commits (netuid INTEGER NOT NULL, epoch INTEGER NOT NULL, hotkey TEXT NOT NULL, block INTEGER NOT NULL, commit_bytes BLOB NOT NULL, round INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS epochs (netuid INTEGER NOT NULL, block INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (netuid, block));
`;
