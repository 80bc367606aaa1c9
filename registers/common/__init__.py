"""What every register shares: the editing kernel (``editing``)."""
