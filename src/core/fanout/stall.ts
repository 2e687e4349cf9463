// How long the fan-out waits for a viewer that takes nothing before cutting it off, per kind of viewer. What a waiting
// viewer costs is bounded whatever it does (one frame in its newest-frame slot, plus a window or a near-empty kernel
// queue), so these limits are about giving up on the gone, not about saving memory.

/**
 * A Framecast viewer that acknowledges nothing for this long while a frame waits for it is cut off with STALLED. It
 * pings every second and acknowledges every frame as it reads it, so 5 s of silence on the frames means it is gone or
 * hopelessly slow.
 */
export const STALL_TIMEOUT_MS = 5_000

/**
 * A reader that cannot acknowledge (a classic script, an MJPEG client) and takes no byte for this long while a frame
 * waits is cut off. Such readers pause for their own reasons — a detector model loading, a breakpoint, a window being
 * dragged — and come back; while they pause they hold one frame and a near-empty kernel queue.
 */
export const READER_STALL_TIMEOUT_MS = 30_000
