"""The features users call by name (explain, diff, from-list, edit, gather, make-pool,
batch, runs), built on the engine and io.
"""
