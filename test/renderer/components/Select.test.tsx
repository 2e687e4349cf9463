// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Select } from '../../../src/renderer/src/components/Select'

afterEach(cleanup)

describe('Select', () => {
  it('lists the choices in order, shows the value, and hands over the chosen value with its type', () => {
    const onChange = vi.fn()
    const choices = [
      { value: 15, label: '15 fps' },
      { value: 30, label: '30 fps' }
    ]
    render(<Select name="fps" value={30} choices={choices} onChange={onChange} />)
    const select = screen.getByTestId('fps') as HTMLSelectElement
    expect([...select.options].map((o) => o.textContent)).toEqual(['15 fps', '30 fps'])
    expect(select.value).toBe('30')
    fireEvent.change(select, { target: { value: '15' } })
    expect(onChange).toHaveBeenCalledWith(15)
  })

  it('keeps choices apart that share a value, and can be locked', () => {
    render(<Select name="camera" value="" choices={[{ value: '', label: 'Camera 1' }, { value: '', label: 'Camera 2' }]} onChange={() => undefined} disabled />)
    const select = screen.getByTestId('camera') as HTMLSelectElement
    expect(select.options).toHaveLength(2)
    expect(select.disabled).toBe(true)
  })
})
