import { expect } from 'chai';
import { awsClientConfig, awsFailure, awsSettingsProblems, describeAwsTarget, errorCode, isRetriable, type AwsSettings } from '@sluice/core';

const defaults: AwsSettings = {
  region: '', endpoint: '', profile: '', accessKeyId: '', secretAccessKey: '', sessionToken: '', maxAttempts: 3, requestTimeout: '60s',
};

describe('AWS settings shared by the AWS components', () => {
  it('leaves empty keys out so the SDK default chain applies', () => {
    expect(awsClientConfig(defaults)).to.deep.equal({ maxAttempts: 3, requestHandler: { requestTimeout: 60000, connectionTimeout: 60000 } });
  });

  it('passes region, endpoint, profile and explicit credentials through', () => {
    const config = awsClientConfig({ ...defaults, region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', accessKeyId: 'AKIAEXAMPLE1234', secretAccessKey: 's3cr3t', sessionToken: 'tok', requestTimeout: '5s' });
    expect(config).to.deep.include({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', credentials: { accessKeyId: 'AKIAEXAMPLE1234', secretAccessKey: 's3cr3t', sessionToken: 'tok' } });
    expect(config.requestHandler).to.deep.equal({ requestTimeout: 5000, connectionTimeout: 5000 });
    expect(awsClientConfig({ ...defaults, profile: 'prod' }).profile).to.equal('prod');
  });

  it('reports half-given credentials, a bad endpoint and profile with explicit keys', () => {
    expect(awsSettingsProblems(defaults)).to.deep.equal([]);
    const paths = (s: Partial<AwsSettings>) => awsSettingsProblems({ ...defaults, ...s }).map((p) => p.path);
    expect(paths({ accessKeyId: 'AKIA' })).to.deep.equal(['/secretAccessKey']);
    expect(paths({ secretAccessKey: 'x' })).to.deep.equal(['/accessKeyId']);
    expect(paths({ endpoint: 'localhost:4566' })).to.deep.equal(['/endpoint']);
    expect(paths({ sessionToken: 't' })).to.deep.equal(['/sessionToken']);
    expect(paths({ profile: 'p', accessKeyId: 'a', secretAccessKey: 'b' })).to.deep.equal(['/profile']);
  });

  it('describes the target without any secret', () => {
    const line = describeAwsTarget({ ...defaults, accessKeyId: 'AKIAEXAMPLE1234', secretAccessKey: 'topsecretvalue', sessionToken: 'sessiontokenvalue' });
    expect(line).to.not.include('topsecretvalue').and.not.include('sessiontokenvalue').and.not.include('AKIAEXAMPLE1234');
    expect(line).to.include('explicit (AKIA…1234)');
  });

  it('classifies AWS SDK failures: throttling, 5xx, 408/429 and no answer retry; other 4xx are rejected', () => {
    const failure = (name: string, status?: number) => awsFailure(Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } }), 'PutRecords to stream s', { retriableNames: new Set(['SlowDown']), hint: 'check the stream name' });
    for (const [name, status] of [['ThrottlingException', 400], ['SlowDown', 503], ['SlowDown', 400], ['InternalError', 500], ['X', 429], ['X', 408], ['TimeoutError', undefined]] as const) {
      expect(isRetriable(failure(name, status)), `${name} ${status}`).to.equal(true);
    }
    const rejected = failure('ResourceNotFoundException', 400);
    expect(errorCode(rejected)).to.equal('SLUICE_EVENT_REJECTED');
    expect(rejected.message).to.include('PutRecords to stream s failed with HTTP 400').and.include('check the stream name');
  });
});
