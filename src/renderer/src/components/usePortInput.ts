// A port typed into a text box: the text as typed, read by readPort, handed on only when it is a valid port.

import { type ChangeEvent, useState } from 'react'
import { type PortReading, readPort } from '../../../shared/address'

/** What usePortInput gives a form: the reading of the text and the props for its `<input>`. */
export type PortInput = PortReading & {
  input: { value: string; inputMode: 'numeric'; onChange: (e: ChangeEvent<HTMLInputElement>) => void }
}

/**
 * Keep the text of a port field (starting as `initial`), read it with readPort on every render, and call `onPort`
 * with the port each time the text typed is a valid one (1–65535) — an invalid text leaves what `onPort` set as it
 * was, and `problem` says what is wrong.
 */
export function usePortInput(initial: number, onPort: (port: number) => void): PortInput {
  const [text, setText] = useState(String(initial))
  const onChange = (e: ChangeEvent<HTMLInputElement>): void => {
    setText(e.target.value)
    const typed = readPort(e.target.value).port
    if (typed !== null) onPort(typed)
  }
  return { ...readPort(text), input: { value: text, inputMode: 'numeric', onChange } }
}
