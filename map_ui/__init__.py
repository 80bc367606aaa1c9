"""The web: the map page, parcel card, search, register pages, the inspector's check."""
