"""`cstui ssh-serve`: the monitor (supervisors) or the console (agents) over SSH."""
