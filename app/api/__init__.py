"""HTTP API: one blueprint package per area. Routes parse, call a service, and shape the reply."""
