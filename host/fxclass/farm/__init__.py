"""Boards leased from a Jumpstarter farm: the lease (lease.py), a controller-less local farm (local.py).

Jumpstarter is an optional extra (`pip install 'fxclass[farm]'`): nothing here imports it before a
lease is asked for, and renode_driver.py is imported by exporters only."""
