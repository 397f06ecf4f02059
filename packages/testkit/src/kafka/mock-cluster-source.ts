/**
 * C source of the `sluice-kafka-mock` helper: it starts librdkafka's built-in mock cluster, prints
 * `bootstrap HOST:PORT[,...]`, then executes one control command per stdin line and answers each
 * with `ok` or `err <reason>`. It exits when stdin closes, so the cluster never outlives the test
 * process that started it.
 *
 * Commands:
 * - `topic NAME PARTITIONS`: create a topic (the mock has no CreateTopics API).
 * - `down BROKER_ID` / `up BROKER_ID`: close the broker's connections and refuse new ones / accept again.
 * - `rtt BROKER_ID MS`: delay every response of the broker.
 * - `errors API_KEY COUNT ERROR_CODE`: fail the next COUNT requests of that API with ERROR_CODE.
 *
 * Kept as a string so it ships inside the compiled testkit; the launcher compiles it with gcc
 * against librdkafka-dev on first use.
 */
export const MOCK_CLUSTER_C_SOURCE = String.raw`
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char errstr[512];
  char line[1024];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 2; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 2; }
  for (int i = 2; i < argc; i++) {
    char *sep = strrchr(argv[i], ':');
    int partitions = 1;
    if (sep) { *sep = 0; partitions = atoi(sep + 1); }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv[i], partitions, 1);
    if (err) { fprintf(stderr, "topic %s: %s\n", argv[i], rd_kafka_err2str(err)); return 2; }
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin)) {
    char cmd[32] = "", name[512] = "";
    long a = 0, b = 0, c = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "topic %511s %ld", name, &a) == 2) {
      err = rd_kafka_mock_topic_create(mc, name, (int)a, 1);
    } else if (sscanf(line, "down %ld", &a) == 1) {
      err = rd_kafka_mock_broker_set_down(mc, (int32_t)a);
    } else if (sscanf(line, "up %ld", &a) == 1) {
      err = rd_kafka_mock_broker_set_up(mc, (int32_t)a);
    } else if (sscanf(line, "rtt %ld %ld", &a, &b) == 2) {
      err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
    } else if (sscanf(line, "errors %ld %ld %ld", &a, &b, &c) == 3 && b > 0 && b < 10000) {
      rd_kafka_resp_err_t *errors = calloc((size_t)b, sizeof(*errors));
      for (long i = 0; i < b; i++) errors[i] = (rd_kafka_resp_err_t)c;
      rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errors);
      free(errors);
    } else {
      sscanf(line, "%31s", cmd);
      printf("err unknown command '%s'\n", cmd);
      fflush(stdout);
      continue;
    }
    if (err) printf("err %s\n", rd_kafka_err2str(err)); else printf("ok\n");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
`;
