"""The HTTP and GraphQL layer: the Starlette app, its settings, schema and resolvers."""
