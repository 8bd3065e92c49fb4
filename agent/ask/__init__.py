"""Ask in words: a request in plain words over a rows frame, planned into typed query tools, answered in sentences
whose every number a tool result holds, each citing the rows it rests on."""
