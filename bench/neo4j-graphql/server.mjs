// The peer: @neo4j/graphql over the same graph server credgraph uses, served by Apollo Server.
// Settings come from the environment the benchmark sets: PEER_BOLT_URI, PEER_USER, PEER_PASSWORD,
// PEER_DATABASE, PEER_PORT, and PEER_VERSION_PREFIX=0 for a server that refuses the `CYPHER 5` prefix.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { typeDefs } from "./typedefs.mjs";

const env = process.env;
const driver = neo4j.driver(
  env.PEER_BOLT_URI ?? "bolt://127.0.0.1:7687",
  neo4j.auth.basic(env.PEER_USER ?? "neo4j", env.PEER_PASSWORD ?? ""),
);
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema, introspection: false });
const sessionConfig = env.PEER_DATABASE ? { database: env.PEER_DATABASE } : undefined;
const cypherQueryOptions = env.PEER_VERSION_PREFIX === "0" ? { addVersionPrefix: false } : undefined;
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(env.PEER_PORT ?? 4000), host: "127.0.0.1" },
  context: async () => ({ sessionConfig, cypherQueryOptions }),
});
console.log(`peer ready at ${url}`);
