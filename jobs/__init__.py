"""Batch jobs that run beside the graph on a cluster (Apache Spark), from exported tables."""
