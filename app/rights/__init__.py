"""Citizens' rights over what a project holds about their number: what is held (MYDATA),
erasure (DELETE) and the list of erasure requests managers see."""
