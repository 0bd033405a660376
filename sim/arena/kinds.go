package arena

import "github.com/tickwire/tickwire/sim"

// Entity kinds, the index of each in Kinds.
const (
	KindPlayer uint8 = iota
	KindNPC
	KindShot
)

// Fields of a player entity (KindPlayer), indexes into EntityState.Fields.
const (
	PlayerX      = iota // sim units, 0..MaxX
	PlayerY             // sim units, 0..MaxY
	PlayerVX            // sim units moved along x in the last tick
	PlayerVY            // sim units moved along y in the last tick
	PlayerAim           // angle (65536 a turn), a multiple of AimStep
	PlayerHP            // 0 while dead
	PlayerScore         // kills, of players and NPCs
	PlayerDeaths        // times killed
	PlayerLife          // counts respawns (mod 256): a change means a teleport
)

// Fields of an NPC entity (KindNPC).
const (
	NPCX  = iota // sim units
	NPCY         // sim units
	NPCVX        // sim units per tick
	NPCVY        // sim units per tick
)

// Fields of a shot entity (KindShot), which lives ShotTicks ticks so a
// client can draw it; the debug overlay draws the rewound target too.
const (
	ShotX      = iota // where it was fired from, sim units
	ShotY             //
	ShotAim           // its direction
	ShotLength        // sim units to the hit, or the full range on a miss
	ShotTarget        // the entity hit, 0 on a miss
	ShotTX            // where the server tested the target (rewound), see shoot.go
	ShotTY            //
)

// AimStep is the precision of an aim: the game keeps Input.Aim rounded down
// to a multiple of it, so the value on the wire (whose step this is) equals
// the state and a predicting client never sees a correction from it.
const AimStep = 64

// maxAim is the largest aim the game stores.
const maxAim = 1<<16 - AimStep

// lifeWrap is where the life counter wraps.
const lifeWrap = 256

// Entity IDs are laid out in ranges so World can emit them sorted without
// sorting: NPCs 1..NPCs, players above them up to maxBodyID, shots above.
const (
	maxBodyID   = 1<<20 - 1
	shotIDBase  = maxBodyID + 1
	shotIDRange = 1 << 20
)

// kinds declares the kinds with bounds derived from p, so every value the
// game produces lies in its field's Min..Max.
func kinds(p Params) []sim.KindSpec {
	maxX, maxY := p.MaxX(), p.MaxY()
	ps, ns := p.PlayerStep(), p.NPCStep()
	scoreMax := int32(maxCounter)
	if p.ScoreLimit > 0 {
		// One shot a tick, one kill a shot, and the match ends on the
		// limit: the score never passes it.
		scoreMax = p.ScoreLimit
	}
	return []sim.KindSpec{
		KindPlayer: {Name: "player", Fields: []sim.FieldSpec{
			PlayerX:      {Name: "x", Min: 0, Max: maxX, Rate: "vx"},
			PlayerY:      {Name: "y", Min: 0, Max: maxY, Rate: "vy"},
			PlayerVX:     {Name: "vx", Min: -ps, Max: ps},
			PlayerVY:     {Name: "vy", Min: -ps, Max: ps},
			PlayerAim:    {Name: "aim", Min: 0, Max: maxAim, Step: AimStep},
			PlayerHP:     {Name: "hp", Min: 0, Max: p.HP},
			PlayerScore:  {Name: "score", Min: 0, Max: scoreMax},
			PlayerDeaths: {Name: "deaths", Min: 0, Max: maxCounter},
			PlayerLife:   {Name: "life", Min: 0, Max: lifeWrap - 1},
		}},
		KindNPC: {Name: "npc", Fields: []sim.FieldSpec{
			NPCX:  {Name: "x", Min: 0, Max: maxX, Rate: "vx"},
			NPCY:  {Name: "y", Min: 0, Max: maxY, Rate: "vy"},
			NPCVX: {Name: "vx", Min: -ns, Max: ns},
			NPCVY: {Name: "vy", Min: -ns, Max: ns},
		}},
		KindShot: {Name: "shot", Fields: []sim.FieldSpec{
			ShotX:      {Name: "x", Min: 0, Max: maxX},
			ShotY:      {Name: "y", Min: 0, Max: maxY},
			ShotAim:    {Name: "aim", Min: 0, Max: maxAim, Step: AimStep},
			ShotLength: {Name: "length", Min: 0, Max: p.Range * SimUnits},
			ShotTarget: {Name: "target", Min: 0, Max: maxBodyID},
			ShotTX:     {Name: "tx", Min: 0, Max: maxX},
			ShotTY:     {Name: "ty", Min: 0, Max: maxY},
		}},
	}
}

// Kinds returns the entity kinds of a game played by rules p: the same as
// Game.Kinds, for a client that has only the parameters.
func (p Params) Kinds() []sim.KindSpec { return kinds(p) }
