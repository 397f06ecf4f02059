import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseTopology, readTopology, validateTopology, type Problem } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { renderMigratedYaml } from 'sluice';

const CORPUS = new URL('../../test/fixtures/flume-corpus/', import.meta.url).pathname;
/** What the corpus files read from the environment (Flume's own tests set NC_PORT the same way). */
const ENV = { NC_PORT: '6667', KAFKA_HOST: 'kafka-1:9092', MY_POD_NAME: 'pod-7' };

/**
 * Every corpus file: `valid` when it uses only components Sluice has and runs in Flume (warnings
 * allowed), else a pattern the real cause must match in one of its errors (`sluice validate`
 * prints it). Read with -n when the file is checked for one agent (like `flume-ng agent -n`).
 */
const EXPECTED: Record<string, { agent?: string; valid?: true; cause?: RegExp; untilSluiceHas?: string }> = {
  '01-apache-flume-conf.properties': { valid: true },
  '02-apache-flume-conf.properties': { agent: 'host1', valid: true },
  '03-apache-flume-conf-with-envvars.properties': { valid: true },
  '04-apache-flume-conf-with-envlookup.properties': { valid: true },
  '05-apache-flume-conf-with-recursivelookup.properties': { valid: true },
  '06-apache-flume-conf-init.properties': { cause: /org\.apache\.flume\.source\.LocalSource is a Flume plugin written in Java/ },
  '07-apache-rpc-client-test.properties': { cause: /is required by source type 'avro'/ }, // the port is set by the Java test at run time
  '08-lp1991-flume.properties': { cause: /CSVSerializer\$Builder is a Java serializer Sluice cannot load/ },
  '09-ahars-flume_1.properties': { valid: true },
  '10-ahars-flume_2.properties': { valid: true },
  '11-ahars-flume_4.properties': { valid: true },
  '12-ahars-flume_5.properties': { valid: true },
  '13-ayasa520-flume.properties': { valid: true },
  '14-bkvarda-flume.properties': { valid: true },
  '15-brockn-flume.properties': { cause: /FlumeEventStringBodyAvroEventSerializer\$Builder is a Java serializer Sluice cannot load/ },
  '16-caiwp-flume.properties': { cause: /zookeeperConnect: Kafka clients no longer find brokers through ZooKeeper/ },
  '17-ciris9-flume.properties': { cause: /CustomPathInterceptor\$Builder is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '18-claudiofahey-flume.properties': { cause: /zookeeperConnect: Kafka clients no longer find brokers through ZooKeeper/ },
  '19-deniscoady-flume.properties': { cause: /com\.deniscoady\.flume\.websocket\.WebSocketSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '20-doktoric-flume.properties': { valid: true },
  '21-doktoric-flume.properties': { cause: /batchSize 1000 is larger than channel 'chnl' transactionCapacity 100/ }, // Flume refuses it too (FLUME-3246)
  '22-edincubator-flume.properties': { cause: /names no namenode \(Flume takes it from core-site\.xml fs\.defaultFS\)/ },
  '23-efimpoberezkin-flume.properties': { cause: /hdfs\.path: names no namenode/ },
  '24-eranwitkon-flume-hdfs-tail.properties': { valid: true },
  '25-eranwitkon-flume-regex.properties': { valid: true },
  '26-forkspace-flume.properties': { cause: /com\.cloudera\.flume\.source\.TwitterSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '27-foyst-flume.properties': { cause: /org\.apache\.flume\.source\.rabbitmq\.RabbitMQSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '28-gmr-flume.properties': { cause: /com\.aweber\.flume\.source\.rabbitmq\.RabbitMQSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '29-ikonovalov-flume-nc.properties': { valid: true },
  '30-ikonovalov-flume.properties': { valid: true },
  '31-isasimon-flume.properties': { cause: /topic_sink\.port: must be integer/ }, // a template: port = YYYY
  '32-jemassey-flume.properties': { valid: true },
  '33-jjz921024-flume.properties': { cause: /org\.keedio\.flume\.source\.SQLSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '34-jpodeszwik-flume.properties': { cause: /pl\.isa\.hadoop\.DateInterceptor\$Builder is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '35-kakicode-flume.properties': { cause: /InfluxDbSink is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '36-kakicode-flume.properties': { cause: /RandomPercentage is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '37-kirstenfloyd-flume.properties': { cause: /Flume's stress source \(org\.apache\.flume\.source\.StressSource\) has no Sluice counterpart/ },
  '38-ktothep-flume.properties': { cause: /zookeeperConnect: Kafka clients no longer find brokers through ZooKeeper/ },
  '39-luizamboni-flume.properties': { valid: true },
  '40-mross462-flume.properties': { cause: /separates names with commas; Flume lists are separated by spaces/ },
  '41-mrwilson-flume.properties': { cause: /uk\.co\.probablyfine\.flume\.TailerSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '42-naeemasma-flume.properties': { cause: /cscie88\.assignments\.FlumeTwitterSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '43-nopponaim603-flume-avrosourcetofilesink.properties': { valid: true },
  '44-nopponaim603-flume-conf.properties': { valid: true },
  '45-paulmw-flume.properties': { cause: /com\.cloudera\.fts\.flume\.interceptors\.TimestampInterceptor\$Builder is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '46-piotrszul-flume-bom-to-hdfs.properties': { cause: /au\.gov\.dhs\.bom\.flume\.BomProductSource is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '47-piotrszul-flume-twitter.properties': { cause: /Flume's twitter source \(org\.apache\.flume\.source\.twitter\.TwitterSource\) has no Sluice counterpart/ },
  '48-scootli-flume-conf.properties': { cause: /org\.apache\.flume\.interceptor\.logInfoInterceptor\$Builder is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
  '49-scootli-hdfs-flume-conf.properties': { valid: true },
  '50-tempredirect-flume-conf.properties': { cause: /Flume's thrift source has no Sluice counterpart/, untilSluiceHas: 'thrift source' },
  '51-vanthangit-flume-conf.properties': { cause: /Flume's exec source has no Sluice counterpart/, untilSluiceHas: 'exec source' },
  '52-viadeo-flume.properties': { cause: /agent\.sinks\.collectors\.type: sink type is missing/ }, // the sink group's name is listed as a sink
  '53-viadeo-flume.properties': { cause: /Flume's exec source has no Sluice counterpart/, untilSluiceHas: 'exec source' },
  // Flume fails at run time too: its memory channel's take list holds 100 events.
  '54-yuhai1023-flume-conf.properties': { cause: /batchSize 500 is larger than channel 'memoryChannel1' transactionCapacity 100/ },
  '55-yyhayashi303-flume.properties': { cause: /local\.hys\.flume\.sink\.SampleSink is a Flume plugin written in Java; Sluice cannot load JVM classes/ },
};

function errorsOf(problems: readonly Problem[]): string[] {
  return problems.filter((p) => p.severity !== 'warning').map((p) => `${p.key ?? p.path}: ${p.message}`);
}

describe('the Flume configuration corpus (real files from public repositories)', function () {
  this.timeout(60000);
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.properties')).sort();

  it('has at least 40 files, each listed with its source in the README and in the expectations', () => {
    expect(files.length).to.be.at.least(40);
    const readme = readFileSync(path.join(CORPUS, 'README.md'), 'utf8');
    for (const file of files) {
      expect(readme, file).to.match(new RegExp(`\\| ${file.replace(/[.]/g, '\\.')} \\| [^|]+/[^|]+ \\| \`[^\`]+\` \\| [0-9a-f]{40} \\|`));
      expect(EXPECTED, file).to.have.property(file);
    }
  });

  for (const file of Object.keys(EXPECTED)) {
    const expected = EXPECTED[file]!;
    it(`${file}: ${expected.valid ? 'validates (exit 0, warnings allowed)' : `is refused for its real cause ${expected.cause}`}`, async () => {
      const raw = await readTopology(path.join(CORPUS, file), { env: ENV });
      const options = expected.agent ? { agent: expected.agent } : {};
      if (expected.valid) {
        const loaded = await loadTopology(raw, options).catch((error: { problems?: Problem[] }) => {
          throw new Error(`${file} did not validate:\n${errorsOf(error.problems ?? []).join('\n')}`);
        });
        expect(Object.keys(loaded.model.agents)).to.not.be.empty;
        // sluice migrate: its YAML is valid YAML and validates as a strict topology, without warnings.
        const { catalog } = loaded;
        const result = validateTopology(raw, catalog, options);
        const yaml = renderMigratedYaml(result.model!, result.flumeConfigs!, result.warnings, file);
        const migrated = parseTopology(yaml, 'migrated.yaml');
        const again = await loadTopology(migrated).catch((error: { problems?: Problem[] }) => {
          throw new Error(`migrate output of ${file} did not validate:\n${errorsOf(error.problems ?? []).join('\n')}\n${yaml}`);
        });
        expect(again.warnings, 'a YAML topology has no warnings').to.deep.equal([]);
        expect(Object.keys(again.model.agents)).to.deep.equal(Object.keys(loaded.model.agents));
        for (const warning of result.warnings) expect(yaml, 'each warning is a comment').to.include(warning.message.split('\n')[0]!.slice(0, 40));
      } else {
        let errors: string[] = [];
        try {
          await loadTopology(raw, options);
        } catch (error) {
          errors = errorsOf((error as { problems?: Problem[] }).problems ?? []);
        }
        // A file refused only for a component Sluice lacks validates once a plugin provides it.
        if (expected.untilSluiceHas !== undefined && errors.length === 0) return;
        expect(errors, `${file} must be refused`).to.not.be.empty;
        expect(errors.some((e) => expected.cause!.test(e)), `${file} errors:\n${errors.join('\n')}`).to.equal(true);
      }
    });
  }
});
