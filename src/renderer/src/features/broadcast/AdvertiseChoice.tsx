// The Broadcast setting that lists the broadcast on the local network (DNS-SD), so Watch windows there can pick it
// instead of typing an address. Off, it reaches only those who know the address. Whether it was listed shows once
// it is live (LivePanel): a broadcast only this computer can reach is not listed to others.

export function AdvertiseChoice({ advertise, onChange }: { advertise: boolean; onChange: (advertise: boolean) => void }) {
  return (
    <label className="field field--check field--check-line">
      <input type="checkbox" data-testid="broadcast-advertise" checked={advertise} onChange={(e) => onChange(e.target.checked)} />
      <span>
        List this broadcast in Watch windows on this network
        <span className="field__hint">They see its name, this computer’s name and the port — never the picture.</span>
      </span>
    </label>
  )
}
