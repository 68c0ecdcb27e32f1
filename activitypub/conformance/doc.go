// Package conformance holds the federation conformance table: one row set
// per server family (Mastodon, GoToSocial, Misskey/Sharkey, Pleroma/Akkoma,
// PeerTube, Pixelfed, Friendica, Lemmy, WordPress), each shape built from
// that project's own source, fed through the real companion over loopback
// and checked by what a course user would notice. It has no code of its
// own: the shapes and the family modes live in internal/mastotest.
package conformance
