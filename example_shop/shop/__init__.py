"""The Corner Shop's catalogue, cart and orders."""
