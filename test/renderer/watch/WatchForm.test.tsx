// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WatchForm } from '../../../src/renderer/src/features/watch/WatchForm'
import { useStore } from '../../../src/renderer/src/store'

const initial = useStore.getState()

function setup(active = false) {
  const onConnect = vi.fn()
  const onDisconnect = vi.fn()
  render(<WatchForm active={active} busy={false} onConnect={onConnect} onDisconnect={onDisconnect} />)
  const host = screen.getByTestId('watch-host') as HTMLInputElement
  const port = screen.getByTestId('watch-port') as HTMLInputElement
  const submit = () => fireEvent.submit(screen.getByTestId('watch-form'))
  return { onConnect, onDisconnect, host, port, submit }
}

beforeEach(() => {
  localStorage.clear()
  useStore.setState(initial, true)
})
afterEach(cleanup)

describe('watch form', () => {
  it('starts with port 9999 and no errors', () => {
    const f = setup()
    expect(f.port.value).toBe('9999')
    expect(screen.queryByTestId('watch-host-error')).toBeNull()
  })

  it('shows the schema message next to an empty host on Connect and does not connect', () => {
    const f = setup()
    f.submit()
    expect(screen.getByTestId('watch-host-error').textContent).toBe('Enter the partner’s IP address or host name')
    expect(f.host.getAttribute('aria-invalid')).toBe('true')
    expect(f.onConnect).not.toHaveBeenCalled()
  })

  it('flags a bad host as soon as the field is left', () => {
    const f = setup()
    fireEvent.change(f.host, { target: { value: '999.1.1.1' } })
    fireEvent.blur(f.host)
    expect(screen.getByTestId('watch-host-error').textContent).toBe('That is not an IP address or a host name')
    fireEvent.change(f.host, { target: { value: '192.168.1.20' } })
    expect(screen.queryByTestId('watch-host-error')).toBeNull()
  })

  it('flags a port out of range', () => {
    const f = setup()
    fireEvent.change(f.host, { target: { value: '192.168.1.20' } })
    fireEvent.change(f.port, { target: { value: '70000' } })
    fireEvent.blur(f.port)
    expect(screen.getByTestId('watch-port-error').textContent).toBe('The port must be between 1 and 65535')
    f.submit()
    expect(f.onConnect).not.toHaveBeenCalled()
  })

  it('asks for a port when the port field is left empty, and links the words to the field', () => {
    const f = setup()
    fireEvent.change(f.host, { target: { value: '192.168.1.20' } })
    fireEvent.change(f.port, { target: { value: '' } })
    fireEvent.blur(f.port)
    const error = screen.getByTestId('watch-port-error')
    expect(error.textContent).toBe('Enter a port between 1 and 65535')
    expect(f.port.getAttribute('aria-invalid')).toBe('true')
    expect(f.port.getAttribute('aria-describedby')).toBe(error.id)
    expect(f.port.className).toContain('input--invalid')
    f.submit()
    expect(f.onConnect).not.toHaveBeenCalled()
    fireEvent.change(f.port, { target: { value: '9000' } })
    expect(screen.queryByTestId('watch-port-error')).toBeNull()
    expect(f.port.hasAttribute('aria-invalid')).toBe(false)
    expect(f.port.hasAttribute('aria-describedby')).toBe(false)
  })

  it('connects with a valid address and remembers what was typed', () => {
    const f = setup()
    fireEvent.change(f.host, { target: { value: ' 192.168.1.20 ' } })
    fireEvent.change(f.port, { target: { value: '9000' } })
    f.submit()
    expect(f.onConnect).toHaveBeenCalledWith({ host: '192.168.1.20', port: 9000, mode: 'auto', address: '192.168.1.20:9000' })
    expect(useStore.getState().settings).toMatchObject({ watchHost: '192.168.1.20', watchPort: '9000' })
  })

  it('splits a pasted host:port into both fields', () => {
    const f = setup()
    fireEvent.paste(f.host, { clipboardData: { getData: () => '10.1.2.3:4567' } })
    expect(f.host.value).toBe('10.1.2.3')
    expect(f.port.value).toBe('4567')
  })

  it('splits a pasted [IPv6]:port and connects to the bare address', () => {
    const f = setup()
    fireEvent.paste(f.host, { clipboardData: { getData: () => '[fe80::1]:9998' } })
    expect(f.host.value).toBe('fe80::1')
    expect(f.port.value).toBe('9998')
    f.submit()
    expect(f.onConnect).toHaveBeenCalledWith(expect.objectContaining({ host: 'fe80::1', port: 9998, address: '[fe80::1]:9998' }))
  })

  it('accepts host:port typed into the host field on Connect', () => {
    const f = setup()
    fireEvent.change(f.host, { target: { value: 'cam.lan:7000' } })
    f.submit()
    expect(f.onConnect).toHaveBeenCalledWith(expect.objectContaining({ host: 'cam.lan', port: 7000 }))
  })

  it('sends the chosen mode', () => {
    const f = setup()
    fireEvent.change(screen.getByTestId('watch-mode'), { target: { value: 'classic' } })
    fireEvent.change(f.host, { target: { value: '10.0.0.3' } })
    f.submit()
    expect(f.onConnect).toHaveBeenCalledWith(expect.objectContaining({ mode: 'classic' }))
    expect(useStore.getState().settings.watchMode).toBe('classic')
  })

  it('offers the classic length prefixes, Automatic first, but not for a Framecast-only watch', () => {
    setup()
    const prefix = screen.getByTestId('watch-classic-prefix') as HTMLSelectElement
    expect([...prefix.options].map((o) => o.textContent)).toEqual([
      'Automatic — told from the first frames',
      '8-byte little-endian (struct "Q"; "L" on Linux and macOS)',
      '4-byte little-endian (struct "<L", "I"; "L" on Windows)',
      '4-byte big-endian (struct ">L", "!L", "!I")',
      '8-byte big-endian (struct "!Q", ">Q")',
      '2-byte little-endian (struct "H")',
      '2-byte big-endian (struct "!H", ">H")'
    ])
    expect(prefix.disabled).toBe(false)
    fireEvent.change(screen.getByTestId('watch-mode'), { target: { value: 'native' } })
    expect(prefix.disabled).toBe(true)
  })

  it('fills the fields from a recent partner when clicked', () => {
    useStore.getState().rememberPartner('10.0.0.8:9999')
    useStore.getState().rememberPartner('[fe80::5]:8000')
    const f = setup()
    const items = screen.getAllByTestId('recent-partner')
    expect(items.map((b) => b.textContent)).toEqual(['[fe80::5]:8000', '10.0.0.8:9999'])
    fireEvent.click(items[0]!)
    expect(f.host.value).toBe('fe80::5')
    expect(f.port.value).toBe('8000')
    fireEvent.click(items[1]!)
    expect(f.host.value).toBe('10.0.0.8')
    expect(f.port.value).toBe('9999')
  })

  it('locks the fields and offers Disconnect while watching', () => {
    const f = setup(true)
    expect(f.host.disabled).toBe(true)
    fireEvent.click(screen.getByTestId('watch-disconnect'))
    expect(f.onDisconnect).toHaveBeenCalledTimes(1)
    expect(f.onConnect).not.toHaveBeenCalled()
  })
})
