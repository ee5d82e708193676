"""A course's enrollment roles, apart from the models so the command line declares its
`--role` choices without loading SQLAlchemy."""

ROLES = ("student", "instructor", "staff")
