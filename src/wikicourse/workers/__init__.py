"""The operator's side: course updates run by workers from Redis queues (Dramatiq), scheduled
by cost, one at a time per course, with requests to each wiki serial across all workers."""
