"""The pure allocation core: plain data in, plain data out. Imports nothing of Flask,
SQLAlchemy or the rest of innocell (a test guards this)."""
