"""Support access ("proxy login", seed 002): a user lets support staff act as them for a while."""
