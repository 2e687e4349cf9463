// A drop-down over a fixed list of choices, typed by its values: onChange gets the chosen value itself, not the
// option's text, so no form casts `e.target.value`.

import type { ReactNode } from 'react'

/** One entry of a Select: the value it stands for and what the person reads. */
export interface Choice<V extends string | number> {
  value: V
  label: ReactNode
}

export interface SelectProps<V extends string | number> {
  /** The select's data-testid. */
  name: string
  value: V
  choices: readonly Choice<V>[]
  onChange: (value: V) => void
  disabled?: boolean
}

/** A `<select class="input">` listing `choices` in order, showing `value`; a choice made calls `onChange` with its value. */
export function Select<V extends string | number>({ name, value, choices, onChange, disabled }: SelectProps<V>) {
  return (
    <select
      className="input"
      data-testid={name}
      value={value}
      disabled={disabled}
      onChange={(e) => {
        const chosen = choices.find((c) => String(c.value) === e.target.value)
        if (chosen) onChange(chosen.value)
      }}
    >
      {/* Keyed by place too: camera ids are all '' until camera permission was given once. */}
      {choices.map((c, i) => (
        <option key={`${i}:${c.value}`} value={c.value}>
          {c.label}
        </option>
      ))}
    </select>
  )
}
