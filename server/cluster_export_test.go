package server

// AbandonCluster makes s leave the cluster directory the way a killed
// process does: when it stops it withdraws nothing, and its entries stay
// until their TTL lapses.
func AbandonCluster(s *Server) {
	if s.cluster != nil {
		s.cluster.abandoned.Store(true)
	}
}

// SyncBuffer is the log sink the package's own tests use, shared with the
// external tests.
type SyncBuffer = syncBuffer
