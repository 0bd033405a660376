// Package protocol turns tickwire's messages into bytes and back: typed Go
// values (Join, InputFrame, Pong, Leave from the client; Welcome, Snapshot,
// Ping, Kick, Roster from the server), an Append function for each that appends
// the encoded message to a buffer, and a Parse function for each that
// checks and decodes one. The wire contract itself is schema/tickwire.fbs.
//
// # Framing
//
// A message is one binary WebSocket frame: one byte, the wire.MessageType,
// then a FlatBuffers buffer whose root table is the one that type names.
// Readers switch on msg[0] and hand the whole message to the matching
// Parse function.
//
// Why not a FlatBuffers union, the usual way to say "one of these tables"?
// A union needs a root table of its own (a vtable, a type field and an
// offset) in front of the message. Measured by TestFramingOverhead, a
// Snapshot framed as a union is 19 to 22 bytes bigger than with the type
// byte (19 for a 300-byte body; the spread is alignment padding): about
// 570 bytes a second per player at 30 Hz, on the message that dominates
// the traffic, for nothing a reader needs.
//
// # Checking before reading
//
// The Go FlatBuffers runtime panics on bad offsets, so every Parse function
// first runs schema.Verify on the whole message (type byte included), then
// checks the type (ErrWrongType), then reads through the generated
// accessors, and finally judges values that are well formed but unusable
// (ErrInvalid): more than MaxInputsPerFrame inputs, a field's rate index
// outside its kind, a parameter key given twice, a roster of more than
// MaxRosterPlayers or naming a player twice. Malformed bytes give an
// error wrapping schema.ErrMalformed that names the field. Callers that
// already verified to dispatch on the type pay for Verify twice; it costs
// tens of nanoseconds and no allocation, which is cheaper than an API whose
// safety depends on the caller remembering. FuzzParse feeds arbitrary bytes
// to every Parse function.
//
// # The per-tick messages
//
// Snapshot, InputFrame, Ping and Pong are sent every tick or every few, so
// their Append functions lay the FlatBuffers bytes out by hand (their shape
// is fixed) and allocate nothing beyond growing dst; ParseInputFrame reuses
// the frame's Inputs and ParseSnapshot returns a body that aliases the
// message, so they do not allocate either. TestHandLayouts proves the
// hand-written bytes are read correctly by the generated accessors, and
// TestParseBuilderMessages that the Parse functions read what any
// FlatBuffers builder writes. Measured on the shared 2-core development
// machine (amd64, -benchtime=200ms), all with 0 allocations:
//
//	AppendSnapshot (12-byte header, 300-byte delta)   37 ns
//	AppendInputFrame (4 inputs)                       36 ns
//	ParseInputFrame (4 inputs, Verify included)      173 ns
//	ParseSnapshot (Verify included)                   57 ns
//
// Join, Welcome, Kick and Leave are sent once a connection, and Roster when
// a room's players change; they use the generated builders. Maps (Params) travel as vectors of key/value tables
// sorted by key, so equal maps encode to equal bytes; a FieldSpec.Rate
// travels as the index of the field it names (-1 for none).
package protocol
