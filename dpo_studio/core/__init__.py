"""Pure-Python core: records, dialects, validation, tokens, cost. No Qt, no network."""
