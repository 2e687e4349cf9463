// Keyframes in the fan-out: what newest-frame-wins may do with a stream whose frames depend on earlier ones (H.264),
// and when a viewer needs the encoder to make a keyframe (docs/protocol.md, "Keyframes and slow viewers").
//
// Per viewer, the rule is that of KeyframeChain (src/shared/keyframe-chain.ts): a viewer never gets a delta frame
// whose predecessor it did not get. So a pending frame may be replaced only by a keyframe; a delta that comes while
// a frame is pending is not sent — the pending one still goes out, it is decodable — and from then on the viewer
// gets nothing until the next keyframe. A new viewer starts at a keyframe too. While a viewer waits, the fan-out asks
// whoever feeds it frames for a keyframe, at most once per KEYFRAME_REQUEST_MIN_MS per viewer. For JPEG every frame is
// a keyframe: a newer one replaces the pending one as it always did, and no keyframe is ever asked for.

import { KeyframeChain } from '../../shared/keyframe-chain'

/** Why a viewer needs a keyframe. */
export type KeyframeReason =
  /** It just joined, or the stream's description changed: it has nothing to decode from. */
  | 'joined'
  /** It asked (KEYFRAME_REQUEST): it lost a frame or could not decode one. */
  | 'requested'
  /** The fan-out skipped a frame for it (it was still reading an earlier one). */
  | 'skipped'

/** What the fan-out tells whoever feeds it frames: make the next frame a keyframe, for this viewer's sake. */
export interface KeyframeWanted {
  viewerId: number
  reason: KeyframeReason
}

/** What to do with a new frame for one viewer. */
export type KeyframeVerdict =
  /** Send it, or let it wait for the viewer if it cannot take it yet. */
  | 'send'
  /** It replaces the frame waiting for the viewer. */
  | 'replace'
  /** Not for this viewer: it could not decode it. */
  | 'skip'

/**
 * One viewer's keyframe state in the fan-out. decide() is asked for every frame; a viewer's KEYFRAME_REQUEST goes to
 * requested(); shouldAsk() says when to ask the encoder for a keyframe on its behalf.
 */
export class ViewerKeyframes {
  private readonly chain = new KeyframeChain()

  /** True while this viewer can take nothing but a keyframe. */
  get waiting(): boolean {
    return this.chain.waiting
  }

  /** A new frame (`keyframe`: decodable on its own) for this viewer, which holds a frame waiting when `pendingFull`. */
  decide(keyframe: boolean, pendingFull: boolean): KeyframeVerdict {
    if (!this.chain.take(keyframe)) return 'skip'
    if (!pendingFull) return 'send'
    if (keyframe) return 'replace'
    // The waiting frame still goes out; this one and every delta after it would refer to a frame it never gets.
    this.chain.break()
    return 'skip'
  }

  /** The viewer asked for a keyframe: it drops deltas until one comes, so it is sent none. */
  requested(): void {
    this.chain.break()
  }

  /** Start over (the stream was described anew): the next frame this viewer gets is a keyframe. */
  restart(): void {
    this.chain.break()
  }

  /** Whether to ask for a keyframe for this viewer now (`nowMs`, monotonic): while it waits, once per KEYFRAME_REQUEST_MIN_MS. */
  shouldAsk(nowMs: number): boolean {
    return this.chain.shouldRequest(nowMs)
  }
}
