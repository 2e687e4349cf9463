// The Broadcast setting that lists the broadcast on the local network (DNS-SD), so Watch windows there can pick it
// instead of typing an address. Off, it reaches only those who know the address.

export function AdvertiseChoice({ advertise, loopback, onChange }: { advertise: boolean; loopback: boolean; onChange: (advertise: boolean) => void }) {
  return (
    <label className="field field--check" title="Framecast says its name, port and kind of stream on this network (DNS-SD); never the picture.">
      <input type="checkbox" data-testid="broadcast-advertise" checked={advertise && !loopback} disabled={loopback} onChange={(e) => onChange(e.target.checked)} />
      <span>
        List this broadcast in Watch windows on this network
        {loopback ? <span className="field__hint"> — not while only this computer can connect</span> : null}
      </span>
    </label>
  )
}
