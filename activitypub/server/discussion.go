package server

import "github.com/cohort-course/cohort/site"

// Discussion gives the build the lesson threads this companion serves, so that
// pages rendered by serve show the same replies as the threads API.
func (s *Server) Discussion() site.Discussion { return s.discovery }
