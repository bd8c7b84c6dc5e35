// toolflight: the core a host or a test author uses: events, the tracker, its projections and
// replay. No node: imports here. The machine definitions and their compiled tables, for tools,
// are `toolflight/machines`.
export { ToolflightError, type ToolflightErrorCode } from './errors.js';
export type { Logger } from './logger.js';
export {
  EVENT_VERSION,
  TOOL_CALL_OUTCOMES,
  type CaptureBegun,
  type CaptureCleared,
  type CaptureYielded,
  type CatalogListed,
  type ContextChanged,
  type EventOf,
  type LogGap,
  type AgentAsked,
  type AgentAnswered,
  type ConfiguredServer,
  type GatewayConfigured,
  type NoteEvent,
  type ObserverFailed,
  type OutboxDelivered,
  type OutboxEnqueued,
  type OutboxRejected,
  type RequestClassified,
  type RequestFinished,
  type RequestStarted,
  type ToolArgs,
  type ToolCallFinished,
  type ToolCallOutcome,
  type ToolCallPrepared,
  type ToolCallResult,
  type ToolCallStarted,
  type ToolflightEvent,
  type ToolflightEventType,
  type UpstreamChanged,
  type IdleWaited,
  type PeerFacts,
  type RpcErrorFacts,
  type RpcFacts,
  type SessionClosed,
  type SessionOpened,
  type TraceFacts,
  type UpstreamAnswered,
  type UpstreamOutcome,
  type UpstreamRequested,
} from './events/types.js';
export {
  DecodeError,
  decodeEvent,
  encodeEvent,
  validateEvent,
  type LineSource,
} from './events/codec.js';
export type {
  RefusalReason,
  ToolCallStart,
  Tracker,
  TrackerOptions,
  TrackerRefusal,
} from './tracker/Tracker.js';
export type { StoreHealth } from './tracker/storeWriter.js';
export { createTracker } from './tracker/createTracker.js';
export type { EventListener } from './events/bus.js';
export type {
  RequestHandle,
  RequestStateName,
  ToolCallHandle,
  ToolCallStateName,
} from './tracker/handles.js';
export { sequentialIds, type EntityKind, type IdSource } from './tracker/ids.js';
export { randomIds } from './tracker/randomIds.js';
export type {
  CaptureObservers,
  ObserverFailure,
  ToolCallOutcomeReport,
  ToolCallSpec,
} from './tracker/observers.js';
export { evolveCaptures, initialCapturesState } from './projections/captures.js';
export type { CapturesState } from './projections/captureRecords.js';
export {
  snapshotCaptures,
  type CaptureSnapshot,
  type ProjectionSnapshot,
  type RequestSnapshot,
  type ToolCallSnapshot,
} from './projections/snapshot.js';
export {
  evolveOutbox,
  initialOutboxState,
  outbox$,
  snapshotOutbox,
  type OutboxEntryView,
  type OutboxSnapshot,
  type OutboxState,
} from './projections/outbox.js';
export {
  assignNames,
  NAME_SEPARATOR,
  safeNamePart,
  type ListedName,
} from './projections/toolNames.js';
export {
  emptyInventory,
  foldInventory,
  inventoryOf,
  type Inventory,
  type InventoryNotice,
  type InventoryOptions,
  type InventoryServer,
  type InventoryState,
  type InventoryTool,
  type InventoryToolDefinition,
} from './projections/inventory.js';
export { DEFAULT_IDLE_OPTIONS, type IdleOptions } from './projections/idle.js';
export {
  createMemoryStore,
  type MemoryStore,
  type MemoryStoreOptions,
} from './store/memoryStore.js';
export type { EventStore } from './store/EventStore.js';
export { maskSecrets, maskText } from './events/maskSecrets.js';
export {
  formatTraceparent,
  isSpanId,
  isTraceId,
  parseTraceparent,
  type TraceParent,
} from './events/traceContext.js';
export { summarizeEvent } from './events/summarizeEvent.js';
export type { CapturesView } from './projections/capturesView.js';
export {
  createReplaySession,
  replay,
  type EventLocation,
  type ReplayOptions,
  type ReplayStep,
  type ReplayResult,
  type ReplaySession,
  type ReplaySessionOptions,
  type Violation,
  type ViolationRule,
} from './replay/index.js';
