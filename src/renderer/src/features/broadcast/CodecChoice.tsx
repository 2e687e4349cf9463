// "Smaller stream (H.264)" in the Broadcast settings: offered where this window can encode H.264 and the broadcast
// port speaks Framecast; otherwise disabled, with a plain sentence saying why the stream is JPEG.

import { useShallow } from 'zustand/react/shallow'
import { useStore } from '../../store'
import { presetById } from '../../store/settings'
import { useH264Support } from './h264Support'

export const CLASSIC_IS_JPEG = 'The classic scripts read JPEG: with a classic mode on, the stream is JPEG.'

/** The codec switch of the Broadcast settings (data-testid broadcast-h264), and why it is off when it has to be. */
export function CodecChoice() {
  const s = useStore(
    useShallow((st) => ({ codec: st.settings.codec, classic: st.settings.classic, preset: st.settings.preset, fps: st.settings.fps, note: st.broadcast.codecNote }))
  )
  const update = useStore((st) => st.updateSettings)
  const { width, height } = presetById(s.preset)
  const support = useH264Support(width, height, s.fps)
  const unavailable = s.classic !== 'off' ? CLASSIC_IS_JPEG : support?.supported === false ? support.reason : null
  const note = s.codec === 'h264' ? (unavailable ?? s.note) : null
  return (
    <div className="field">
      <label className="field field--check">
        <input
          type="checkbox"
          data-testid="broadcast-h264"
          data-support={support === null ? 'checking' : support.supported ? 'yes' : 'no'}
          checked={s.codec === 'h264' && unavailable === null}
          disabled={unavailable !== null || support === null}
          onChange={(e) => update({ codec: e.target.checked ? 'h264' : 'jpeg' })}
        />
        <span>Smaller stream (H.264)</span>
      </label>
      <span className="field__hint">
        About a fifth of JPEG’s bandwidth at the same picture quality. The MJPEG stream for browsers stays JPEG.
      </span>
      {note ? (
        <span className="field__hint field__note" role="status" data-testid="broadcast-codec-note">
          {note}
        </span>
      ) : null}
    </div>
  )
}
