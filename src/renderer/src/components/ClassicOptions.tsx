// The two classic-script settings both windows offer under Compatibility: the length prefix (how the script's
// struct.pack writes each frame's length) and the largest frame. Their values and words come from
// src/shared/classic.ts, so the windows, the command line and the networking core say the same.

import { CLASSIC_PREFIXES, type ClassicPrefix, type ClassicPrefixChoice, PREFIX_LAYOUTS } from '../../../shared/classic'
import { FRAME_LIMITS_MIB, type FrameLimitMiB } from '../store/settings'
import { Field } from './Field'
import { type Choice, Select } from './Select'

const LIMIT_CHOICES: Choice<FrameLimitMiB>[] = FRAME_LIMITS_MIB.map((mib) => ({
  value: mib,
  label: mib === 0 ? 'Automatic — 32 MiB, enough for 4K' : mib === 64 ? '64 MiB (up to 6K)' : mib === 128 ? '128 MiB (8K)' : `${mib} MiB`
}))

const PREFIX_CHOICES: Choice<ClassicPrefix>[] = CLASSIC_PREFIXES.map((p) => ({ value: p, label: PREFIX_LAYOUTS[p].label }))
const PREFIX_CHOICES_AUTO: Choice<ClassicPrefixChoice>[] = [{ value: 'auto', label: 'Automatic — told from the first frames' }, ...PREFIX_CHOICES]

interface PrefixFieldProps<V extends ClassicPrefixChoice> {
  /** The select's data-testid. */
  name: string
  value: V
  onChange: (value: V) => void
  disabled?: boolean
}

/** "Length prefix" with the six prefixes, and Automatic first when `value` may be 'auto' (the watch side). */
export function PrefixField<V extends ClassicPrefixChoice>({ name, value, onChange, disabled, auto }: PrefixFieldProps<V> & { auto: V extends ClassicPrefix ? false : true }) {
  const choices = (auto ? PREFIX_CHOICES_AUTO : PREFIX_CHOICES) as Choice<V>[]
  return (
    <Field label="Length prefix (classic script)" className="field--grow" hint='What the script’s struct.pack writes before each frame: "Q" in the tutorial.'>
      <Select name={name} value={value} choices={choices} onChange={onChange} disabled={disabled} />
    </Field>
  )
}

/** "Largest frame": a classic frame larger than this is refused (watch) or skipped (broadcast). */
export function FrameLimitField({ name, value, onChange, disabled }: { name: string; value: FrameLimitMiB; onChange: (mib: FrameLimitMiB) => void; disabled?: boolean }) {
  return (
    <Field label="Largest frame" hint="A pickled 4K frame is 25 MiB; raise this for larger pictures.">
      <Select name={name} value={value} choices={LIMIT_CHOICES} onChange={onChange} disabled={disabled} />
    </Field>
  )
}
