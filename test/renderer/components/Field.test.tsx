// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { controlProps, Field } from '../../../src/renderer/src/components/Field'

afterEach(cleanup)

describe('Field', () => {
  it('labels its control and shows its hint', () => {
    render(
      <Field label="Quality" hint="Lower sends less.">
        <input data-testid="q" />
      </Field>
    )
    expect(screen.getByLabelText(/^Quality/)).toBe(screen.getByTestId('q'))
    expect(screen.getByText('Lower sends less.').className).toBe('field__hint')
  })

  it('ties an error to its control and says it out loud; nothing of it without an error', () => {
    const { rerender } = render(
      <Field label="Port" name="p" error="The port must be a number">
        {(control) => <input data-testid="p" {...control} />}
      </Field>
    )
    const input = screen.getByTestId('p')
    const error = screen.getByTestId('p-error')
    expect(error.getAttribute('role')).toBe('alert')
    expect(input.getAttribute('aria-describedby')).toBe(error.id)
    expect(input.getAttribute('aria-invalid')).toBe('true')
    expect(input.className).toBe('input input--invalid')
    rerender(
      <Field label="Port" name="p" error={null}>
        {(control) => <input data-testid="p" {...control} />}
      </Field>
    )
    expect(screen.queryByTestId('p-error')).toBeNull()
    expect(input.hasAttribute('aria-invalid')).toBe(false)
    expect(input.hasAttribute('aria-describedby')).toBe(false)
    expect(input.className).toBe('input')
  })

  it('adds classes to the control', () => {
    expect(controlProps('m', 'bad', 'input--small').className).toBe('input input--small input--invalid')
  })
})
