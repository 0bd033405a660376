package protocol

import (
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/schema"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/sim"
)

// Every Parse function takes a whole message (type byte included), runs
// schema.Verify on it (tens of nanoseconds, so a caller that already
// verified to dispatch on the type pays it twice rather than trusting that
// it did), checks the type, and only then reads fields through the
// generated accessors. None of them panics on any input.

// root verifies msg, checks it is of type want and returns its buffer and
// root table position for the generated Init methods.
func root(msg []byte, want wire.MessageType) ([]byte, flatbuffers.UOffsetT, error) {
	got, err := schema.Verify(msg)
	if err != nil {
		return nil, 0, err
	}
	if got != want {
		return nil, 0, fmt.Errorf("%w: got %s, want %s", ErrWrongType, got, want)
	}
	buf := msg[1:]
	return buf, flatbuffers.GetUOffsetT(buf), nil
}

// ParseSnapshot reads a Snapshot message: its tick, and its body (the
// header and entity delta), which aliases msg.
func ParseSnapshot(msg []byte) (sim.Tick, []byte, error) {
	buf, pos, err := root(msg, wire.MessageTypeSnapshot)
	if err != nil {
		return 0, nil, err
	}
	var s wire.Snapshot
	s.Init(buf, pos)
	return sim.Tick(s.Tick()), s.BodyBytes(), nil
}

// ParseInputFrame reads an InputFrame message into f, reusing f.Inputs'
// storage, so a reader that keeps one InputFrame does not allocate. A frame
// with more than MaxInputsPerFrame inputs is refused with ErrInvalid. On
// error f is left unchanged.
func ParseInputFrame(msg []byte, f *InputFrame) error {
	buf, pos, err := root(msg, wire.MessageTypeInputFrame)
	if err != nil {
		return err
	}
	var fr wire.InputFrame
	fr.Init(buf, pos)
	n := fr.InputsLength()
	if n > MaxInputsPerFrame {
		return fmt.Errorf("%w: InputFrame.inputs: %d inputs, at most %d", ErrInvalid, n, MaxInputsPerFrame)
	}
	f.AckTick = sim.Tick(fr.AckTick())
	f.AckDelayMicros = fr.AckDelayUs()
	f.ViewTime = sim.TickTime(fr.ViewTime())
	f.Inputs = f.Inputs[:0]
	var in wire.Input
	for j := 0; j < n; j++ {
		fr.Inputs(&in, j)
		f.Inputs = append(f.Inputs, TickInput{
			Tick: sim.Tick(in.Tick()),
			Input: sim.Input{
				MoveX:   in.MoveX(),
				MoveY:   in.MoveY(),
				Aim:     in.Aim(),
				Buttons: in.Buttons(),
			},
		})
	}
	return nil
}

// ParsePing reads a Ping message.
func ParsePing(msg []byte) (Ping, error) {
	buf, pos, err := root(msg, wire.MessageTypePing)
	if err != nil {
		return Ping{}, err
	}
	var p wire.Ping
	p.Init(buf, pos)
	return Ping{ID: p.Id(), ServerTimeMicros: p.ServerTimeUs()}, nil
}

// ParsePong reads a Pong message.
func ParsePong(msg []byte) (Pong, error) {
	buf, pos, err := root(msg, wire.MessageTypePong)
	if err != nil {
		return Pong{}, err
	}
	var p wire.Pong
	p.Init(buf, pos)
	return Pong{ID: p.Id(), ServerTimeMicros: p.ServerTimeUs(), HoldMicros: p.HoldUs()}, nil
}

// ParseKick reads a Kick message.
func ParseKick(msg []byte) (Kick, error) {
	buf, pos, err := root(msg, wire.MessageTypeKick)
	if err != nil {
		return Kick{}, err
	}
	var k wire.Kick
	k.Init(buf, pos)
	return Kick{Code: k.Code(), Reason: string(k.Reason())}, nil
}

// ParseLeave reads a Leave message.
func ParseLeave(msg []byte) (Leave, error) {
	buf, pos, err := root(msg, wire.MessageTypeLeave)
	if err != nil {
		return Leave{}, err
	}
	var l wire.Leave
	l.Init(buf, pos)
	return Leave{Reason: string(l.Reason())}, nil
}

// ParseRoster reads a Roster message. More than MaxRosterPlayers entries,
// or a player listed twice, is refused with ErrInvalid.
func ParseRoster(msg []byte) (Roster, error) {
	buf, pos, err := root(msg, wire.MessageTypeRoster)
	if err != nil {
		return Roster{}, err
	}
	var r wire.Roster
	r.Init(buf, pos)
	n := r.PlayersLength()
	if n > MaxRosterPlayers {
		return Roster{}, fmt.Errorf("%w: Roster.players: %d players, at most %d", ErrInvalid, n, MaxRosterPlayers)
	}
	var out Roster
	if n > 0 {
		out.Players = make([]RosterEntry, n)
	}
	seen := make(map[sim.PlayerID]struct{}, n)
	var e wire.RosterEntry
	for j := range out.Players {
		r.Players(&e, j)
		id := sim.PlayerID(e.PlayerId())
		if _, dup := seen[id]; dup {
			return Roster{}, fmt.Errorf("%w: Roster.players[%d]: player %d listed twice", ErrInvalid, j, id)
		}
		seen[id] = struct{}{}
		out.Players[j] = RosterEntry{PlayerID: id, EntityID: sim.EntityID(e.EntityId()), Name: string(e.Name()), Connected: e.Connected()}
	}
	return out, nil
}

// paramsReader is what Join and Welcome have in common for their params.
type paramsReader interface {
	Params(obj *wire.Param, j int) bool
	ParamsLength() int
}

// parseParams reads a params vector into a map (nil when empty). A key
// that appears twice is refused: the encoder never writes one, and which
// value would win is not something to guess.
func parseParams(table string, r paramsReader) (map[string]string, error) {
	n := r.ParamsLength()
	if n == 0 {
		return nil, nil
	}
	params := make(map[string]string, n)
	var p wire.Param
	for j := 0; j < n; j++ {
		r.Params(&p, j)
		key := string(p.Key())
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("%w: %s.params[%d]: duplicate key %q", ErrInvalid, table, j, key)
		}
		params[key] = string(p.Value())
	}
	return params, nil
}

// ParseJoin reads a Join message. It does not judge the protocol version:
// the server answers a mismatch with its own close reason.
func ParseJoin(msg []byte) (Join, error) {
	buf, pos, err := root(msg, wire.MessageTypeJoin)
	if err != nil {
		return Join{}, err
	}
	var j wire.Join
	j.Init(buf, pos)
	params, err := parseParams("Join", &j)
	if err != nil {
		return Join{}, err
	}
	return Join{
		ProtocolVersion: j.ProtocolVersion(),
		Room:            string(j.Room()),
		PlayerName:      string(j.PlayerName()),
		Token:           string(j.Token()),
		ResumeToken:     string(j.ResumeToken()),
		Game:            string(j.Game()),
		Params:          params,
	}, nil
}

// ParseWelcome reads a Welcome message. Each field's rate index must name
// a field of the same kind (or be -1); it comes back as that field's name.
func ParseWelcome(msg []byte) (Welcome, error) {
	buf, pos, err := root(msg, wire.MessageTypeWelcome)
	if err != nil {
		return Welcome{}, err
	}
	var w wire.Welcome
	w.Init(buf, pos)
	params, err := parseParams("Welcome", &w)
	if err != nil {
		return Welcome{}, err
	}
	var kinds []sim.KindSpec
	if n := w.KindsLength(); n > 0 {
		kinds = make([]sim.KindSpec, n)
	}
	var kind wire.EntityKind
	var field wire.Field
	for k := range kinds {
		w.Kinds(&kind, k)
		spec := sim.KindSpec{Name: string(kind.Name())}
		nf := kind.FieldsLength()
		if nf > 0 {
			spec.Fields = make([]sim.FieldSpec, nf)
		}
		rates := make([]int8, nf)
		for i := range spec.Fields {
			kind.Fields(&field, i)
			spec.Fields[i] = sim.FieldSpec{
				Name: string(field.Name()),
				Min:  field.Min(),
				Max:  field.Max(),
				Step: field.Step(),
			}
			rates[i] = field.Rate()
		}
		for i, r := range rates {
			switch {
			case r == -1:
			case r >= 0 && int(r) < nf:
				spec.Fields[i].Rate = spec.Fields[r].Name
			default:
				return Welcome{}, fmt.Errorf("%w: Welcome.kinds[%d].fields[%d].rate: index %d out of range (kind has %d fields)", ErrInvalid, k, i, r, nf)
			}
		}
		kinds[k] = spec
	}
	return Welcome{
		ProtocolVersion:  w.ProtocolVersion(),
		PlayerID:         sim.PlayerID(w.PlayerId()),
		EntityID:         sim.EntityID(w.EntityId()),
		TickRate:         int(w.TickRate()),
		ServerTick:       sim.Tick(w.ServerTick()),
		ServerTimeMicros: w.ServerTimeUs(),
		ResumeToken:      string(w.ResumeToken()),
		Room:             string(w.Room()),
		Game:             string(w.Game()),
		Params:           params,
		Kinds:            kinds,
	}, nil
}
