import { hostListQuery } from './hosts';

describe('hostListQuery', () => {
  it('is empty without options: the whole fleet, as before paging', () => {
    expect(hostListQuery({})).toBe('');
  });

  it('maps the options to the API parameters', () => {
    expect(hostListQuery({ match: 'mx 1', group: 'eu', state: 'offline,drift', queueAbove: '50', sort: 'queue', desc: true, page: '2', pageSize: '20' })).toBe(
      '?q=mx+1&group=eu&state=offline%2Cdrift&queueAbove=50&sort=queue&order=desc&page=2&pageSize=20',
    );
  });
});
