// Protocol version, timings and limits the console works with (docs/protocol.md).

export var PROTOCOL_VERSION = 1;
// A ping unanswered by the next one: the socket is dead (shared/client.js).
export var PING_MS = 25000;
export var WELCOME_TIMEOUT_MS = 15000; // no welcome by then: tell the agent, retry
export var MORE_PAGE_SIZE = 100; // conversations per page after the welcome's first
export var TYPING_THROTTLE_MS = 3000;
export var TYPING_IDLE_MS = 4000;
export var VISITOR_TYPING_TIMEOUT_MS = 8000;
export var PRESENCE_TIMEOUT_MS = 8000;
export var PRESENCES = ["online", "away", "offline"];
export var OPEN_STATUSES = ["waiting", "active", "missed"];
export var UNANSWERED = ["waiting", "missed"];
export var TRANSFER_TIMEOUT_MS = 10000;
// The refusals a claim can get (docs/protocol.md, claim).
export var CLAIM_ERRORS = ["agent_full", "already_assigned", "conversation_closed", "forbidden", "not_found"];
export var SOUND_GAP_MS = 1500;
export var CANNED_MAX_OPTIONS = 8;
// What the server accepts (livechat/attachments.py); it checks the bytes itself.
export var UPLOAD_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];
export var UPLOAD_EXTENSIONS = /\.(png|jpe?g|gif|webp|pdf)$/i;
export var THUMBNAIL_BOX = 240;
export var ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
