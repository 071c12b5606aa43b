package credgraph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community as a local server speaking Bolt, for credgraph's own use.
 *
 * <p>Arguments: the data folder, then {@code --host}, {@code --bolt} and {@code --http} (where it
 * listens), {@code --database} (the one standard database of Community), {@code --password-file}
 * (the password of the user {@code neo4j}, read and set on every start: the file is the truth)
 * and {@code --page-cache-mib}.
 * Prints {@code credgraph-neo4j ready} once the database answers; stops cleanly on SIGTERM.
 */
public final class Neo4jLauncher {
  private Neo4jLauncher() {}

  /** Give the user {@code neo4j} this password (already its own: nothing to change). */
  private static void setPassword(DatabaseManagementService dbms, String password) {
    try {
      dbms.database("system")
          .executeTransactionally(
              "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
              Map.of("password", password));
    } catch (QueryExecutionException e) {
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
        throw e;
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println(
          "usage: Neo4jLauncher <data dir> --host=H --bolt=P --http=P --database=NAME"
              + " --password-file=F --page-cache-mib=N");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String[] pair = args[i].replaceFirst("^--", "").split("=", 2);
      options.put(pair[0], pair.length > 1 ? pair[1] : "");
    }
    String host = options.getOrDefault("host", "127.0.0.1");
    String database = options.getOrDefault("database", "neo4j");
    String password = Files.readString(Path.of(options.get("password-file"))).strip();
    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(
                BoltConnector.listen_address,
                new SocketAddress(host, Integer.parseInt(options.getOrDefault("bolt", "7687"))))
            .setConfig(HttpConnector.enabled, true)
            .setConfig(
                HttpConnector.listen_address,
                new SocketAddress(host, Integer.parseInt(options.getOrDefault("http", "7474"))))
            // Keep-alive NOOPs while a result streams, and no connection.recv_timeout_seconds hint
            // (sent only for ALL): the Python driver puts a timeout on every socket read when it has
            // the hint, a task and a timer each, which cost a statement as much CPU as the rest of
            // its round trip. Our gateway times every statement out itself (graph.driver).
            .setConfig(BoltConnector.connection_keep_alive_type, BoltConnector.KeepAliveRequestType.STREAMING)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.initial_default_database, database)
            .setConfig(
                GraphDatabaseSettings.pagecache_memory,
                ByteUnit.mebiBytes(Long.parseLong(options.getOrDefault("page-cache-mib", "512"))))
            .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
            // On SIGTERM, give open transactions two seconds (not the default ten) to end.
            .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  dbms.shutdown();
                  stopped.countDown();
                }));
    try {
      setPassword(dbms, password);
      dbms.database(database).executeTransactionally("RETURN 1");
    } catch (RuntimeException e) {
      // Never leave a half-started server behind: the caller sees the exit and the log.
      e.printStackTrace();
      dbms.shutdown();
      System.exit(1);
    }
    System.out.println("credgraph-neo4j ready");
    System.out.flush();
    stopped.await();
  }
}
