/**
 * docs/iam/ is generated from the synthesized bootstrap stacks (`npm run iam-docs`): the committed
 * files equal a fresh rendering, so what the docs show is what `cdktf deploy` applies. The
 * properties of the policies themselves are tested in __tests__/constructs/delivery-identity/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IAM_DOCS_DIR, renderIamDocs } from '../../scripts/iam-docs';
import { UNSCOPED_ACTIONS } from '../../lib/constructs/delivery-identity/unscoped-actions';

function committedFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? committedFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
        : [`${prefix}${e.name}`],
    );
}

describe('docs/iam', () => {
  const rendered = renderIamDocs();

  it('holds exactly the generated files, each up to date (run `npm run iam-docs`)', () => {
    expect(committedFiles(IAM_DOCS_DIR).sort()).toEqual([...rendered.keys()].sort());
    for (const [file, content] of rendered)
      expect({ file, upToDate: fs.readFileSync(path.join(IAM_DOCS_DIR, file), 'utf8') === content }).toEqual({
        file,
        upToDate: true,
      });
  });

  it('shows every CI role of every account: its trust and its policies', () => {
    for (const account of ['dev', 'prod']) {
      for (const file of [
        `kong-gateway-bootstrap-deploy-${account}.trust.json`,
        `kong-gateway-bootstrap-plan-${account}.trust.json`,
        `kong-gateway-bootstrap-boundary-${account}.json`,
        `kong-gateway-bootstrap-deploy-${account}-guard.json`,
        'state-bucket-policy.json',
      ])
        expect(rendered.has(`kong-gateway-bootstrap-${account}/${file}`)).toBe(true);
    }
  });

  it('lists every action granted on "*" with its reason', () => {
    const readme = rendered.get('README.md')!;
    for (const action of Object.keys(UNSCOPED_ACTIONS)) expect(readme).toContain(`| \`${action}\` |`);
  });
});
