import { Type } from '@sinclair/typebox';
import type { ContractsService } from '../../modules/contracts/contracts.service.js';
import { actorOf, type Server } from '../http/server.js';
import { ListQuery, manageErrors, Page } from './common.schema.js';
import { Contract, ContractCreate, ContractParams, ContractUpdate } from './contracts.schema.js';
import { VersionHeaders } from './versions.js';

/** `/contracts/{idContract}` GET/PUT (the contract), plus native list, create and delete. */
export async function contractsRoutes(
  app: Server,
  { contracts }: { contracts: ContractsService },
  prefix: string,
): Promise<void> {
  const tags = ['manage'];
  const headers = VersionHeaders;
  app.get(
    `${prefix}/contracts`,
    {
      config: { action: 'contracts:read' },
      schema: { tags, headers, querystring: ListQuery, response: manageErrors({ 200: Page(Contract) }) },
    },
    async (request) => contracts.list(actorOf(request), request.query),
  );
  app.post(
    `${prefix}/contracts`,
    {
      config: { action: 'contracts:write' },
      bodyLimit: 64 * 1024,
      schema: { tags, headers, body: ContractCreate, response: manageErrors({ 201: Contract }) },
    },
    async (request, reply) => reply.status(201).send(await contracts.create(actorOf(request), request.body)),
  );
  app.get(
    `${prefix}/contracts/:idContract`,
    {
      config: { action: 'contracts:read' },
      schema: { tags, headers, params: ContractParams, response: manageErrors({ 200: Contract }) },
    },
    async (request) => contracts.get(actorOf(request), request.params.idContract),
  );
  app.put(
    `${prefix}/contracts/:idContract`,
    {
      config: { action: 'contracts:write' },
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        headers,
        params: ContractParams,
        body: ContractUpdate,
        response: manageErrors({ 200: Contract }),
      },
    },
    async (request) => contracts.update(actorOf(request), request.params.idContract, request.body),
  );
  app.delete(
    `${prefix}/contracts/:idContract`,
    {
      config: { action: 'contracts:write' },
      schema: { tags, headers, params: ContractParams, response: manageErrors({ 204: Type.Null() }) },
    },
    async (request, reply) => {
      await contracts.delete(actorOf(request), request.params.idContract);
      return reply.status(204).send();
    },
  );
}
