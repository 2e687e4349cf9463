// A labelled form control with its hint and its error: the one place that ties a control to the words about it, so
// every form marks a wrong value the same way (red outline, aria-invalid, the error read out and linked by
// aria-describedby).

import type { ReactNode } from 'react'

/** Attributes for the control a FieldError speaks about. */
export interface ControlProps {
  className: string
  'aria-invalid': true | undefined
  'aria-describedby': string | undefined
}

/**
 * Props for the control named `name` (its data-testid) given what is wrong with its value (null or '' when nothing):
 * the `input--invalid` outline and, while there is an error, aria-invalid and aria-describedby pointing at the
 * FieldError of the same name. `className` adds classes to `input` (e.g. 'input--small').
 */
export function controlProps(name: string, error: string | null | undefined, className = ''): ControlProps {
  const base = className ? `input ${className}` : 'input'
  return {
    className: error ? `${base} input--invalid` : base,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${name}-error` : undefined
  }
}

/** What is wrong with the control `name`, announced when it appears; id and data-testid `${name}-error`. Nothing when there is no error. */
export function FieldError({ name, error }: { name: string; error: string | null | undefined }) {
  if (!error) return null
  return (
    <span className="field__error" id={`${name}-error`} data-testid={`${name}-error`} role="alert">
      {error}
    </span>
  )
}

export interface FieldProps {
  label: ReactNode
  /** Modifiers after `field`, e.g. 'field--grow', 'field--port'. */
  className?: string
  /** A line of help under the control. */
  hint?: ReactNode
  /** The control's name (its data-testid): names the error element. Needed with `error`. */
  name?: string
  /** What is wrong with the value; null or undefined when nothing. */
  error?: string | null
  /** The control, or a function that spreads the ControlProps it is given onto the control. */
  children: ReactNode | ((control: ControlProps) => ReactNode)
}

/** A `<label class="field">`: the label text, the control, then its hint and its error (see FieldError). */
export function Field({ label, className, hint, name = '', error, children }: FieldProps) {
  return (
    <label className={className ? `field ${className}` : 'field'}>
      <span className="field__label">{label}</span>
      {typeof children === 'function' ? children(controlProps(name, error)) : children}
      {hint ? <span className="field__hint">{hint}</span> : null}
      <FieldError name={name} error={error} />
    </label>
  )
}
