// Package as turns ActivityStreams JSON into the companion's own types and
// back. It is the only package that imports github.com/go-fed/activity.
//
// Inbound, Parse reads an activity with go-fed's streams resolvers and routes
// it by type into an Activity holding plain values (a Reply for a Create or
// Update of a Note, the object id of a Delete, the undone object of an Undo,
// and so on); ParseActor reads a remote actor document. Both accept what real
// servers send: single values where arrays are expected, null properties,
// unknown extension properties. Parse takes bytes: whether the request said
// application/activity+json or application/ld+json; profile="..." is for the
// HTTP handler to check before it calls Parse.
//
// Outbound, go-fed's serializer is not used: it reorders @context from run to
// run, drops contentMap and may mangle a URL-like summary. Actor, Note, the
// activity wrappers and the collections here are plain structs encoded with
// encoding/json, so every document comes out byte for byte the same.
//
// Nothing here sanitizes HTML, checks signatures or decides what to store.
package as
