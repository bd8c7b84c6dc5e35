// toolflight/store: event stores and recording readers that need Node: files, and SQLite through
// the optional peer better-sqlite3 (loaded on first use).
export { createJsonlStore, type JsonlStoreOptions } from './jsonlStore.js';
export { createSqliteStore, readSqlite, type SqliteStoreOptions } from './sqliteStore.js';
export { readJsonl } from './readJsonl.js';
export { readRecording, recordingFormat } from './readRecording.js';
export type { ReadOptions, RecordingProblem } from './recordingProblem.js';
export type { EventStore } from './EventStore.js';
