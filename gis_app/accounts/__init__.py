"""Users, roles and municipality scoping.

This package sits at the bottom of the dependency graph (below ``layers``): every other
package asks it who may do what. It refers to
``layers.Municipality`` only by its app label, never by import.
"""
