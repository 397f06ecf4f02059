import { expect } from 'chai';
import { awsClientConfig, awsSettingsProblems, describeAwsTarget, type AwsSettings } from '@sluice/core';

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
});
